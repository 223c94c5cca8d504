/* Temporary weak stand-ins so the tree links while parts of core are written in parallel.
 * Each real definition overrides its stub. This file is deleted once every part has landed. */
#include "kv.h"
#include <string.h>

#define WEAK __attribute__((weak))

WEAK void kv_json_lexer_init(kv_json_lexer *l, const char *t, size_t n) { memset(l, 0, sizeof *l); l->text = t; l->len = n; }
WEAK int kv_json_lexer_next(kv_json_lexer *l, kv_json_token *t) { (void)t; strcpy(l->error.message, "not built"); return -1; }
WEAK bool kv_json_valid(const char *t, size_t n, kv_json_error *e) { (void)t; (void)n; (void)e; return false; }
WEAK kv_status kv_json_format(const char *t, size_t n, unsigned i, char **o, size_t *ol, kv_json_error *e) { (void)t; (void)n; (void)i; (void)o; (void)ol; (void)e; return KV_ERR_INTERNAL; }
WEAK cJSON *kv_json_parse_tree(const char *t, size_t n, kv_json_error *e) { (void)t; (void)n; (void)e; return NULL; }
WEAK kv_status kv_pickle_decode(const uint8_t *d, size_t n, kv_pickle_view *v, char *eb, size_t el) { (void)d; (void)n; (void)v; (void)eb; (void)el; return KV_ERR_INTERNAL; }
WEAK void kv_pickle_view_free(kv_pickle_view *v) { (void)v; }
WEAK kv_status kv_pickle_encode_json(const char *j, size_t n, uint8_t **o, size_t *ol, char *eb, size_t el) { (void)j; (void)n; (void)o; (void)ol; (void)eb; (void)el; return KV_ERR_INTERNAL; }
WEAK kv_status kv_connspec_parse(const char *t, kv_connspec *s, char *eb, size_t el) { (void)t; (void)s; (void)eb; (void)el; return KV_ERR_INTERNAL; }
WEAK void kv_connspec_free(kv_connspec *s) { (void)s; }
WEAK char *kv_default_store_path(void) { return NULL; }
#include "transfer.h"
WEAK const kv__backend_ops kv__embedded_backend = {.name = "embedded"};
WEAK kv__transfer *kv__import_start(const kv__transfer_env *env, uint64_t id, void *user, const char *path, const char *id_field) { (void)env; (void)id; (void)user; (void)path; (void)id_field; return NULL; }
WEAK kv__transfer *kv__export_start(const kv__transfer_env *env, uint64_t id, void *user, const char *path) { (void)env; (void)id; (void)user; (void)path; return NULL; }
WEAK void kv__transfer_cancel(kv__transfer *t) { (void)t; }
