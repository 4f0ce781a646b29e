/* Only libpng's simplified png_image_* API is used: it reports errors through the
 * png_image's message field and never longjmps into Swift frames. */
#include <png.h>
