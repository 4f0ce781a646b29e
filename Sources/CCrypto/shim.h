/* OpenSSL's libcrypto, for SHA-256 only (EVP_Digest): the daemon keys users' pictures and its
 * cache entries by a hash no one can make collide. */
#include <openssl/evp.h>
