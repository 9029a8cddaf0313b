/* TLS 1.3 through GnuTLS, wired to ngtcp2 by ngtcp2_crypto_gnutls. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "internal.h"

/* TLS 1.3 only, QUIC-capable AEADs, no middlebox compatibility mode. */
static const char priority[] =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
    "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
    "+GROUP-SECP384R1:+GROUP-SECP521R1";

static coquic_status_t gnutls_failure(const char *what, int rv) {
    return cq_fail(rv == GNUTLS_E_MEMORY_ERROR ? COQUIC_STATUS_OUT_OF_MEMORY : COQUIC_STATUS_INVALID_ARGUMENT,
                   "%s: %s", what, gnutls_strerror(rv));
}

/*
 * Peer verification for clients. Loading the system store into every endpoint's credentials
 * cost ~3.8 MiB and ~30 ms per endpoint (the high-level API makes one endpoint per client
 * connection), so the store is parsed once per process into a shared trust list and the
 * chain is verified here: against the endpoint's added CAs first, then the shared list.
 */
static pthread_once_t system_once = PTHREAD_ONCE_INIT;
static gnutls_x509_trust_list_t system_trust;

static void load_system_trust(void) {
    if (gnutls_x509_trust_list_init(&system_trust, 0) < 0) {
        system_trust = NULL;
        return;
    }
    /* a machine without a store still works with SSL_CERT_FILE or a supplied CA */
    (void)gnutls_x509_trust_list_add_system_trust(system_trust, 0, 0);
}

static unsigned int verify_against(gnutls_x509_trust_list_t list, gnutls_x509_crt_t *chain, unsigned int n,
                                   gnutls_typed_vdata_st *data, unsigned int ndata) {
    unsigned int status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
    if (list && gnutls_x509_trust_list_verify_crt2(list, chain, n, data, ndata, 0, &status, NULL) < 0)
        status = GNUTLS_CERT_INVALID;
    return status;
}

/*
 * SSL_CERT_FILE trust lists, shared by every endpoint created while the file (path, size,
 * modification time) is the same. Stale versions are freed once no endpoint holds them.
 */
typedef struct cq_file_trust {
    struct cq_file_trust *next;
    char *path;
    off_t size;
    struct timespec mtime;
    unsigned int refs;
    bool stale;
    gnutls_x509_trust_list_t list;
} cq_file_trust;

static pthread_mutex_t file_trust_lock = PTHREAD_MUTEX_INITIALIZER;
static cq_file_trust *file_trusts;

static void file_trust_unlink_free(cq_file_trust *f) {
    for (cq_file_trust **p = &file_trusts; *p; p = &(*p)->next) {
        if (*p != f) continue;
        *p = f->next;
        break;
    }
    gnutls_x509_trust_list_deinit(f->list, 1);
    free(f->path);
    free(f);
}

/* A parsed copy of `path` (NULL when out of memory). */
static cq_file_trust *file_trust_new(const char *path, const struct stat *st) {
    cq_file_trust *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path)) || gnutls_x509_trust_list_init(&f->list, 0) < 0) {
        if (f) free(f->path);
        free(f);
        return NULL;
    }
    (void)gnutls_x509_trust_list_add_trust_file(f->list, path, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    f->size = st->st_size;
    f->mtime = st->st_mtim;
    return f;
}

/* The shared list for `path` as it is now (NULL if it cannot be read or parsed into a list). */
static cq_file_trust *file_trust_acquire(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    pthread_mutex_lock(&file_trust_lock);
    cq_file_trust *found = NULL;
    for (cq_file_trust *f = file_trusts, *n; f; f = n) {
        n = f->next;
        if (f->stale || strcmp(f->path, path) != 0) continue;
        if (f->size == st.st_size && f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec) {
            found = f;
            continue;
        }
        f->stale = true; /* the file changed: new endpoints get a fresh parse */
        if (f->refs == 0) file_trust_unlink_free(f);
    }
    if (!found && (found = file_trust_new(path, &st))) {
        found->next = file_trusts;
        file_trusts = found;
    }
    if (found) found->refs++;
    pthread_mutex_unlock(&file_trust_lock);
    return found;
}

static void file_trust_release(cq_file_trust *f) {
    if (!f) return;
    pthread_mutex_lock(&file_trust_lock);
    if (--f->refs == 0 && f->stale) file_trust_unlink_free(f);
    pthread_mutex_unlock(&file_trust_lock);
}

static int verify_peer_chain(gnutls_session_t session) {
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
    cq_conn *c = ref ? ref->user_data : NULL;
    if (!c) return GNUTLS_E_CERTIFICATE_ERROR;
    unsigned int n = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(session, &n);
    c->verify_status = GNUTLS_CERT_INVALID;
    if (!der || n == 0) return GNUTLS_E_NO_CERTIFICATE_FOUND;
    if (n > 16) n = 16;
    gnutls_x509_crt_t chain[16];
    unsigned int imported = 0;
    for (; imported < n; imported++) {
        if (gnutls_x509_crt_init(&chain[imported]) < 0) break;
        if (gnutls_x509_crt_import(chain[imported], &der[imported], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(chain[imported]);
            break;
        }
    }
    unsigned int status = GNUTLS_CERT_INVALID;
    if (imported == n) {
        gnutls_typed_vdata_st data[2];
        unsigned int ndata = 0;
        if (c->server_name[0]) data[ndata++] = (gnutls_typed_vdata_st){GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)c->server_name, 0};
        data[ndata++] = (gnutls_typed_vdata_st){GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0};
        const cq_tls_context *tls = &c->endpoint->tls;
        /* the endpoint's added CAs, then SSL_CERT_FILE, then the system store; on failure,
         * report what the endpoint's own lists said when it has some: that is the chain the
         * application meant to trust */
        gnutls_x509_trust_list_t own[2] = {tls->extra_cas, tls->cert_file ? tls->cert_file->list : NULL};
        bool has_own = false;
        for (size_t i = 0; i < 2 && status != 0; i++) {
            if (!own[i]) continue;
            unsigned int st = verify_against(own[i], chain, n, data, ndata);
            if (st == 0 || !has_own) status = st; /* a failure reports the first own list */
            has_own = true;
        }
        if (status != 0) {
            pthread_once(&system_once, load_system_trust);
            unsigned int sys = verify_against(system_trust, chain, n, data, ndata);
            status = sys == 0 ? 0 : has_own ? status : sys;
        }
    }
    for (unsigned int i = 0; i < imported; i++) gnutls_x509_crt_deinit(chain[i]);
    c->verify_status = status;
    return status == 0 ? 0 : GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

coquic_status_t cq_tls_context_init(cq_tls_context *tls, const cq_config *config,
                                    const coquic_tls_identity_t *identity) {
    memset(tls, 0, sizeof *tls);
    int rv = gnutls_certificate_allocate_credentials(&tls->credentials);
    if (rv != 0) return gnutls_failure("allocating TLS credentials", rv);

    if (config->role == COQUIC_ROLE_SERVER && identity && identity->certificate_pem_length > 0) {
        gnutls_datum_t cert = {(unsigned char *)identity->certificate_pem,
                               (unsigned int)identity->certificate_pem_length};
        gnutls_datum_t key = {(unsigned char *)identity->private_key_pem,
                              (unsigned int)identity->private_key_pem_length};
        if (!identity->certificate_pem || !identity->private_key_pem ||
            identity->private_key_pem_length == 0) {
            cq_tls_context_free(tls);
            return cq_fail(COQUIC_STATUS_INVALID_ARGUMENT,
                           "identity: certificate and private key PEM are both required");
        }
        rv = gnutls_certificate_set_x509_key_mem2(tls->credentials, &cert, &key, GNUTLS_X509_FMT_PEM,
                                                  NULL, 0);
        if (rv < 0) {
            cq_tls_context_free(tls);
            return gnutls_failure("identity: certificate chain / private key PEM rejected", rv);
        }
        tls->has_identity = true;
    }
    if (config->role == COQUIC_ROLE_CLIENT && config->verify_peer) {
        gnutls_certificate_set_verify_function(tls->credentials, verify_peer_chain);
        /* SSL_CERT_FILE is looked at when the endpoint is created, as the upstream library
         * does; the parsed file is shared while it stays the same */
        const char *file = getenv("SSL_CERT_FILE");
        if (file && *file) tls->cert_file = file_trust_acquire(file);
    }
    return COQUIC_STATUS_OK;
}

void cq_tls_context_free(cq_tls_context *tls) {
    if (tls->credentials) gnutls_certificate_free_credentials(tls->credentials);
    tls->credentials = NULL;
    if (tls->extra_cas) gnutls_x509_trust_list_deinit(tls->extra_cas, 1);
    tls->extra_cas = NULL;
    file_trust_release(tls->cert_file);
    tls->cert_file = NULL;
}

coquic_status_t cq_tls_add_trusted_ca(cq_tls_context *tls, const char *pem, size_t len) {
    if (!tls->extra_cas && gnutls_x509_trust_list_init(&tls->extra_cas, 0) < 0)
        return cq_fail(COQUIC_STATUS_OUT_OF_MEMORY, "trusted CA list");
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned int)len};
    int rv = gnutls_x509_trust_list_add_trust_mem(tls->extra_cas, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    if (rv <= 0) return rv < 0 ? gnutls_failure("trusted CA PEM rejected", rv)
                               : cq_fail(COQUIC_STATUS_INVALID_ARGUMENT, "trusted CA PEM holds no certificate");
    return COQUIC_STATUS_OK;
}

int cq_tls_session_new(gnutls_session_t *out, const cq_tls_context *tls, const cq_config *config,
                       ngtcp2_crypto_conn_ref *conn_ref, const char *server_name,
                       size_t server_name_len) {
    bool server = config->role == COQUIC_ROLE_SERVER;
    gnutls_session_t s;
    /* clients offer one key share (X25519), not GnuTLS's default two: a second (P-256) key
     * pair per handshake is wasted work whenever the server takes X25519, as nearly all do;
     * a server that does not asks for another with HelloRetryRequest */
    cq_conn *c = conn_ref->user_data;
    int rv = gnutls_init(&s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT | GNUTLS_KEY_SHARE_TOP) |
                                 GNUTLS_NO_END_OF_EARLY_DATA | cq_resumption_tls_flags(c));
    if (rv != 0) return rv;
    rv = gnutls_priority_set_direct(s, priority, NULL);
    if (rv == 0)
        rv = server ? ngtcp2_crypto_gnutls_configure_server_session(s)
                    : ngtcp2_crypto_gnutls_configure_client_session(s);
    if (rv == 0) rv = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, tls->credentials);
    if (rv == 0) {
        gnutls_datum_t alpn = {(unsigned char *)config->alpn, (unsigned int)config->alpn_len};
        rv = gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY);
    }
    if (rv == 0 && !server && server_name_len > 0) {
        /* GnuTLS keeps this pointer for the session's lifetime: server_name is NUL-terminated
         * storage owned by the connection. */
        rv = gnutls_server_name_set(s, GNUTLS_NAME_DNS, server_name, server_name_len);
    }
    /* verifying clients check the chain in verify_peer_chain (set on the credentials) */
    if (rv == 0) {
        gnutls_session_set_ptr(s, conn_ref); /* the ticket hook finds the connection through it */
        rv = cq_resumption_configure_session(s, c);
    }
    if (rv != 0) {
        gnutls_deinit(s);
        return rv;
    }
    gnutls_session_set_ptr(s, conn_ref);
    *out = s;
    return 0;
}

void cq_tls_describe_failure(gnutls_session_t session, char *buf, size_t cap) {
    if (cap == 0) return;
    buf[0] = '\0';
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
    const cq_conn *c = ref ? ref->user_data : NULL;
    unsigned int status = c ? c->verify_status : 0;
    if (status == 0) return;
    gnutls_datum_t out = {NULL, 0};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
        unsigned int len = out.size; /* GnuTLS ends each sentence with a space, the last one too */
        while (len > 0 && (out.data[len - 1] == ' ' || out.data[len - 1] == '\0')) len--;
        snprintf(buf, cap, "certificate verification failed (0x%x): %.*s", status, (int)len, (const char *)out.data);
        gnutls_free(out.data);
    } else {
        snprintf(buf, cap, "certificate verification failed (status 0x%x)", status);
    }
}
