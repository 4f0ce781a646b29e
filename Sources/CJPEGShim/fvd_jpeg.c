#include "fvd_jpeg.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

/* libjpeg's error manager, extended with where to jump back to, here in C. */
struct fvd_error {
    struct jpeg_error_mgr mgr;
    jmp_buf back;
    char *err;
    size_t errlen;
};

static void fvd_error_exit(j_common_ptr cinfo) {
    struct fvd_error *e = (struct fvd_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    if (e->err && e->errlen) snprintf(e->err, e->errlen, "%s", text);
    longjmp(e->back, 1);
}

/* Warnings (corrupt data that libjpeg can get past) are errors for fvd: it refuses damaged images. */
static void fvd_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) fvd_error_exit(cinfo);
}

static void fvd_setup(struct jpeg_decompress_struct *cinfo, struct fvd_error *e, char *err, size_t errlen) {
    cinfo->err = jpeg_std_error(&e->mgr);
    e->mgr.error_exit = fvd_error_exit;
    e->mgr.emit_message = fvd_emit_message;
    e->err = err;
    e->errlen = errlen;
}

/* Creates the decompressor on `data` and reads the header. Call only after the caller's setjmp:
 * an error jumps back to the caller's frame. */
static void fvd_open(struct jpeg_decompress_struct *cinfo, const unsigned char *data, size_t size) {
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
}

int fvd_jpeg_dimensions(const unsigned char *data, size_t size, int *width, int *height, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct fvd_error e;
    fvd_setup(&cinfo, &e, err, errlen);
    if (setjmp(e.back)) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    fvd_open(&cinfo, data, size);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

int fvd_jpeg_decode_rgb(const unsigned char *data, size_t size, int max_side, unsigned char *out, size_t out_size,
                        char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct fvd_error e;
    fvd_setup(&cinfo, &e, err, errlen);
    if (setjmp(e.back)) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    fvd_open(&cinfo, data, size);
    /* Bounds libjpeg's own working memory (progressive images keep every coefficient). */
    cinfo.mem->max_memory_to_use = 256L << 20;
    if ((int)cinfo.image_width > max_side || (int)cinfo.image_height > max_side || cinfo.image_width == 0 || cinfo.image_height == 0) {
        snprintf(err, errlen, "the JPEG is %ux%u pixels; at most %dx%d is accepted, scale it down first",
                 cinfo.image_width, cinfo.image_height, max_side, max_side);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * 3;
    if (cinfo.output_components != 3 || stride * cinfo.output_height > out_size) {
        snprintf(err, errlen, "the JPEG decodes to an unexpected size or layout");
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = out + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

int fvd_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality, unsigned char **out,
                        unsigned long *out_size, char *err, size_t errlen) {
    struct jpeg_compress_struct cinfo;
    struct fvd_error e;
    cinfo.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = fvd_error_exit;
    e.err = err;
    e.errlen = errlen;
    *out = NULL;
    *out_size = 0;
    if (setjmp(e.back)) {
        jpeg_destroy_compress(&cinfo);
        free(*out);
        *out = NULL;
        return 0;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 1;
}
