#ifndef FVD_JPEG_H
#define FVD_JPEG_H
#include <stddef.h>

/* libjpeg reports errors by longjmp, which must never cross Swift frames: these functions catch
 * every libjpeg error here, in C, and return 0 with the message in `err` (1 on success). */

/* Reads only the header: the image's size. */
int fvd_jpeg_dimensions(const unsigned char *data, size_t size, int *width, int *height, char *err, size_t errlen);

/* Decodes to 8-bit RGB into `out` (width * height * 3 bytes, as fvd_jpeg_dimensions said),
 * refusing images wider or taller than max_side before any pixel memory is used. */
int fvd_jpeg_decode_rgb(const unsigned char *data, size_t size, int max_side, unsigned char *out, size_t out_size,
                        char *err, size_t errlen);

/* Encodes 8-bit RGB at `quality` (1-100); *out is malloc'ed (free it), *out_size its length. */
int fvd_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality, unsigned char **out,
                        unsigned long *out_size, char *err, size_t errlen);

#endif
