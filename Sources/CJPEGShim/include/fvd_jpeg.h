#ifndef FVD_JPEG_H
#define FVD_JPEG_H
#include <stddef.h>

/* libjpeg reports errors by longjmp, which must never cross Swift frames: these functions catch
 * every libjpeg error here, in C, and return 0 with the message in `err` (1 on success). */

/* Reads only the header: the image's size as stored, and its EXIF orientation (1-8; 1 when none). */
int fvd_jpeg_dimensions(const unsigned char *data, size_t size, int *width, int *height, int *orientation, char *err, size_t errlen);

/* Decodes to 8-bit RGB into `out` (width * height * 3 bytes, as stored), refusing images wider or
 * taller than max_side before any pixel memory is used, progressive images of more than
 * max_scans scans as soon as the scan after the last allowed one starts; CMYK and YCCK come out
 * as RGB. `should_stop(context)` (may be NULL) is asked between chunks of work: when it answers
 * non-zero the decode stops and returns -1; too many scans return -2, anything else 0. */
int fvd_jpeg_decode_rgb(const unsigned char *data, size_t size, int max_side, int max_scans,
                        int (*should_stop)(void *context), void *context,
                        unsigned char *out, size_t out_size, char *err, size_t errlen);

/* Encodes 8-bit RGB at `quality` (1-100); *out is malloc'ed (free it), *out_size its length. */
int fvd_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality, unsigned char **out,
                        unsigned long *out_size, char *err, size_t errlen);

/* For tests and the fuzz corpus: `components` 3 (RGB) or 4 (CMYK as given, stored as CMYK or,
 * with ycck, YCCK, with an Adobe marker either way); progression_passes 1-3 writes a legal
 * progressive JPEG of one scan per coefficient, component and pass (2 + 3 * 63 * passes scans
 * for RGB: 191, 380, 569); 0 a baseline JPEG. */
int fvd_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int ycck, int progression_passes,
                    int quality, unsigned char **out, unsigned long *out_size, char *err, size_t errlen);

#endif
