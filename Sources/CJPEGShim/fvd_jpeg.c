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

/* Called between chunks of decoding work (libjpeg's progress monitor): stops a progressive JPEG
 * past `max_scans` scans (each scan is a pass over every coefficient, so a small file with
 * thousands of legal scans costs minutes of CPU), and a decode its caller no longer wants
 * (`should_stop`: a cancelled job, a time limit). Both leave through error_exit, here in C. */
struct fvd_progress {
    struct jpeg_progress_mgr pub;
    int max_scans;
    int (*should_stop)(void *context);
    void *context;
};

static void fvd_progress_monitor(j_common_ptr cinfo) {
    struct fvd_progress *p = (struct fvd_progress *)cinfo->progress;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    struct fvd_error *e = (struct fvd_error *)cinfo->err;
    if (d->input_scan_number > p->max_scans) {
        if (e->err && e->errlen)
            snprintf(e->err, e->errlen, "the JPEG has more than %d progressive scans (libjpeg-turbo's own tools stop at 500); "
                     "save it again as a baseline JPEG or a PNG", p->max_scans);
        longjmp(e->back, 2);
    }
    if (p->should_stop && p->should_stop(p->context)) {
        if (e->err && e->errlen) snprintf(e->err, e->errlen, "decoding stopped");
        longjmp(e->back, 3);
    }
}

static void fvd_setup(struct jpeg_decompress_struct *cinfo, struct fvd_error *e, char *err, size_t errlen) {
    cinfo->err = jpeg_std_error(&e->mgr);
    e->mgr.error_exit = fvd_error_exit;
    e->mgr.emit_message = fvd_emit_message;
    e->err = err;
    e->errlen = errlen;
}

/* The EXIF orientation (1-8) from a saved APP1 marker, or 1: TIFF header, IFD0, tag 0x0112. */
static int fvd_exif_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || memcmp(m->data, "Exif\0\0", 6) != 0) continue;
        const unsigned char *t = m->data + 6;
        size_t n = m->data_length - 6;
        int le;
        if (t[0] == 'I' && t[1] == 'I') le = 1;
        else if (t[0] == 'M' && t[1] == 'M') le = 0;
        else return 1;
#define U16(p) (le ? (unsigned)((p)[0] | ((p)[1] << 8)) : (unsigned)(((p)[0] << 8) | (p)[1]))
#define U32(p) (le ? ((unsigned long)(p)[0] | ((unsigned long)(p)[1] << 8) | ((unsigned long)(p)[2] << 16) | ((unsigned long)(p)[3] << 24)) \
                   : (((unsigned long)(p)[0] << 24) | ((unsigned long)(p)[1] << 16) | ((unsigned long)(p)[2] << 8) | (unsigned long)(p)[3]))
        unsigned long ifd = U32(t + 4);
        if (ifd + 2 > n) return 1;
        unsigned count = U16(t + ifd);
        for (unsigned i = 0; i < count; i++) {
            size_t at = ifd + 2 + (size_t)i * 12;
            if (at + 12 > n) return 1;
            if (U16(t + at) == 0x0112) {
                unsigned v = U16(t + at + 8);
                return (v >= 1 && v <= 8) ? (int)v : 1;
            }
        }
#undef U16
#undef U32
        return 1;
    }
    return 1;
}

/* Creates the decompressor on `data` and reads the header, keeping APP1 (EXIF) and APP14
 * (Adobe) markers. Call only after the caller's setjmp: an error jumps back to its frame. */
static void fvd_open(struct jpeg_decompress_struct *cinfo, const unsigned char *data, size_t size) {
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);
}

int fvd_jpeg_dimensions(const unsigned char *data, size_t size, int *width, int *height, int *orientation, char *err, size_t errlen) {
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
    *orientation = fvd_exif_orientation(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

int fvd_jpeg_decode_rgb(const unsigned char *data, size_t size, int max_side, int max_scans,
                        int (*should_stop)(void *context), void *context,
                        unsigned char *out, size_t out_size, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct fvd_error e;
    struct fvd_progress progress;
    JSAMPARRAY cmyk = NULL;
    fvd_setup(&cinfo, &e, err, errlen);
    int why = setjmp(e.back);
    if (why) {
        jpeg_destroy_decompress(&cinfo);  /* frees the CMYK row too: it is libjpeg's */
        return why == 3 ? -1 : why == 2 ? -2 : 0;
    }
    fvd_open(&cinfo, data, size);
    progress.pub.progress_monitor = fvd_progress_monitor;
    progress.max_scans = max_scans;
    progress.should_stop = should_stop;
    progress.context = context;
    cinfo.progress = &progress.pub;
    /* Bounds libjpeg's own working memory (progressive images keep every coefficient). */
    cinfo.mem->max_memory_to_use = 256L << 20;
    if ((int)cinfo.image_width > max_side || (int)cinfo.image_height > max_side || cinfo.image_width == 0 || cinfo.image_height == 0) {
        snprintf(err, errlen, "the JPEG is %ux%u pixels; at most %dx%d is accepted, scale it down first",
                 cinfo.image_width, cinfo.image_height, max_side, max_side);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    /* CMYK and YCCK (Photoshop's and cameras' print exports) are decoded to CMYK and converted
     * here; libjpeg converts neither to RGB. Adobe's writers store the inks inverted. */
    int four = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int inverted = four && cinfo.saw_Adobe_marker;
    cinfo.out_color_space = four ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * 3;
    if (cinfo.output_components != (four ? 4 : 3) || stride * cinfo.output_height > out_size) {
        snprintf(err, errlen, "the JPEG decodes to an unexpected size or layout");
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    if (four) cmyk = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, cinfo.output_width * 4, 1);
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = out + stride * cinfo.output_scanline;
        if (!four) {
            jpeg_read_scanlines(&cinfo, &row, 1);
            continue;
        }
        jpeg_read_scanlines(&cinfo, cmyk, 1);
        const unsigned char *ink = cmyk[0];
        for (JDIMENSION x = 0; x < cinfo.output_width; x++) {
            unsigned c = ink[4 * x], m = ink[4 * x + 1], y = ink[4 * x + 2], k = ink[4 * x + 3];
            if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
            /* Now 255 means no ink: each channel is what its ink and black let through. */
            row[3 * x] = (unsigned char)((c * k + 127) / 255);
            row[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
            row[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

int fvd_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality, unsigned char **out,
                        unsigned long *out_size, char *err, size_t errlen) {
    return fvd_jpeg_encode(rgb, width, height, 3, 0, 0, quality, out, out_size, err, errlen);
}

/* Every coefficient of every component in scans of its own, in `passes` (1-3) successive
 * approximations: passes * 63 AC scans per component after two DC scans. A legal progression,
 * and a long one. */
static jpeg_scan_info *fvd_long_scan_script(j_compress_ptr cinfo, int passes, int *count) {
    int comps = cinfo->num_components;
    int n = 2 + comps * 63 * passes;
    jpeg_scan_info *s = (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(jpeg_scan_info) * (size_t)n);
    int k = 0;
    for (int pass = 0; pass < 2; pass++) {
        s[k].comps_in_scan = comps;
        for (int c = 0; c < comps; c++) s[k].component_index[c] = c;
        s[k].Ss = 0; s[k].Se = 0;
        s[k].Ah = pass == 0 ? 0 : 1; s[k].Al = pass == 0 ? 1 : 0;
        k++;
    }
    for (int c = 0; c < comps; c++)
        for (int coef = 1; coef <= 63; coef++)
            for (int pass = 0; pass < passes; pass++) {
                s[k].comps_in_scan = 1;
                s[k].component_index[0] = c;
                s[k].Ss = coef; s[k].Se = coef;
                s[k].Ah = pass == 0 ? 0 : passes - pass; s[k].Al = passes - 1 - pass;
                k++;
            }
    *count = k;
    return s;
}

int fvd_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int ycck, int progression_passes,
                    int quality, unsigned char **out, unsigned long *out_size, char *err, size_t errlen) {
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
    cinfo.input_components = components;
    cinfo.in_color_space = components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    if (components == 4) jpeg_set_colorspace(&cinfo, ycck ? JCS_YCCK : JCS_CMYK);  /* writes the Adobe marker */
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progression_passes > 0) {
        int n = 0;
        cinfo.scan_info = fvd_long_scan_script(&cinfo, progression_passes > 3 ? 3 : progression_passes, &n);
        cinfo.num_scans = n;
    }
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 1;
}
