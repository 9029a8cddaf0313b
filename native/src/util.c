/* Thread-local error messages and randomness. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "internal.h"

static _Thread_local char last_error[512];
static _Thread_local size_t last_error_len;

coquic_status_t cq_fail(coquic_status_t status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    last_error_len = n < 0 ? 0 : (size_t)n < sizeof last_error ? (size_t)n : sizeof last_error - 1;
    return status;
}

void cq_clear_error(void) {
    last_error_len = 0;
    last_error[0] = '\0';
}

void cq_random(uint8_t *dest, size_t len) {
    if (gnutls_rnd(GNUTLS_RND_NONCE, dest, len) != 0) {
        /* gnutls_rnd only fails when the library is unusable; never hand out zeros silently. */
        for (size_t i = 0; i < len; i++) dest[i] = (uint8_t)(rand() ^ (int)i);
    }
}

COQUIC_FFI_API size_t coquic_x_last_error_message(char *buffer, size_t capacity) {
    if (buffer != NULL && capacity > 0) {
        size_t n = last_error_len < capacity - 1 ? last_error_len : capacity - 1;
        memcpy(buffer, last_error, n);
        buffer[n] = '\0';
    }
    return last_error_len;
}
