/*
 * connstr.c - connection strings (DESIGN.md section 5) parsed into a kv_connspec.
 *
 * Network forms follow libcouchbase's connection string: scheme://host[:port][,host...][/bucket]
 * [?opt=val&...], IPv6 in brackets, ',' or ';' between hosts, percent-encoded option values.
 * Passwords are refused outright: they would end up in shell history, ps output and logs.
 */
#include "kv.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOST_NAME_MAX_LEN 253
#define TIMEOUT_MAX_S 3600.0

typedef struct scheme_info {
    const char *prefix;
    kv_backend_kind kind;
    bool tls;
    uint16_t default_port;
} scheme_info;

static const scheme_info SCHEMES[] = {
    {"memcached://", KV_BACKEND_MEMCACHED, false, 11211},
    {"memcached+tls://", KV_BACKEND_MEMCACHED, true, 11211},
    {"couchbase://", KV_BACKEND_COUCHBASE, false, 11210},
    {"couchbases://", KV_BACKEND_COUCHBASE, true, 11207},
};

/* A borrowed slice of the connection string. */
typedef struct span {
    const char *text;
    size_t len;
} span;

static char *dup_span(span s)
{
    char *out = malloc(s.len + 1);
    if (!out)
        abort();
    memcpy(out, s.text, s.len);
    out[s.len] = '\0';
    return out;
}

static bool span_is(span s, const char *word)
{
    return strlen(word) == s.len && strncasecmp(s.text, word, s.len) == 0;
}

/* %XX-decode S into a new string; NULL on a broken escape or an encoded NUL. */
static char *percent_decode(span s)
{
    char *out = malloc(s.len + 1);
    if (!out)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.text[i] != '%') {
            out[n++] = s.text[i];
            continue;
        }
        int hi = i + 2 < s.len ? kv_hex_digit(s.text[i + 1]) : -1;
        int lo = i + 2 < s.len ? kv_hex_digit(s.text[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[n] = '\0';
    return out;
}

static bool host_char_ok(char c, bool bracketed)
{
    if (isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_')
        return true;
    return bracketed && (c == ':' || c == '%');
}

/* The port after a host: 1..65535 in decimal; "=mcd"/"=mcds" types from libcouchbase are
 * accepted for couchbase when they agree with the scheme. */
static kv_status parse_port(span s, const scheme_info *scheme, uint16_t *port, char *errbuf,
                            size_t errbuf_len)
{
    const char *eq = memchr(s.text, '=', s.len);
    size_t digits = eq ? (size_t)(eq - s.text) : s.len;
    if (eq) {
        span type = {eq + 1, s.len - digits - 1};
        bool ok = scheme->kind == KV_BACKEND_COUCHBASE &&
                  (span_is(type, scheme->tls ? "mcds" : "mcd"));
        if (!ok)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unsupported port type '%.*s' (kvtui speaks the KV "
                        "protocol only)", (int)type.len, type.text);
    }
    unsigned long value = 0;
    for (size_t i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)s.text[i]) || value > 65535)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad port '%.*s'", (int)s.len, s.text);
        value = value * 10 + (unsigned long)(s.text[i] - '0');
    }
    if (digits == 0 || value == 0 || value > 65535)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad port '%.*s' (expected 1-65535)", (int)s.len, s.text);
    bool http_port = value == 8091 || value == 18091;
    /* libcouchbase ignores the HTTP management port given by mistake and uses the KV default. */
    *port = scheme->kind == KV_BACKEND_COUCHBASE && http_port && !eq ? scheme->default_port
                                                                     : (uint16_t)value;
    return KV_OK;
}

/* Split "host", "host:port", "[v6]" or "[v6]:port" into its name and its port text. */
static kv_status split_host(span s, span *name, span *port, bool *bracketed, char *errbuf,
                            size_t errbuf_len)
{
    *port = (span){NULL, 0};
    *bracketed = s.len > 0 && s.text[0] == '[';
    if (*bracketed) {
        const char *close = memchr(s.text, ']', s.len);
        if (!close)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unclosed '[' in host '%.*s'", (int)s.len, s.text);
        *name = (span){s.text + 1, (size_t)(close - s.text - 1)};
        size_t used = (size_t)(close - s.text) + 1;
        if (used < s.len && s.text[used] != ':')
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unexpected text after ']' in '%.*s'", (int)s.len,
                        s.text);
        if (used < s.len)
            *port = (span){s.text + used + 1, s.len - used - 1};
        return KV_OK;
    }
    const char *colon = memchr(s.text, ':', s.len);
    if (colon && memchr(colon + 1, ':', s.len - (size_t)(colon - s.text) - 1))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "put IPv6 addresses in brackets: [%.*s]", (int)s.len,
                    s.text);
    *name = (span){s.text, colon ? (size_t)(colon - s.text) : s.len};
    if (colon)
        *port = (span){colon + 1, s.len - name->len - 1};
    return KV_OK;
}

static kv_status parse_host(span s, const scheme_info *scheme, kv_host *host, char *errbuf,
                            size_t errbuf_len)
{
    span name, port;
    bool bracketed;
    kv_status st = split_host(s, &name, &port, &bracketed, errbuf, errbuf_len);
    if (st != KV_OK)
        return st;
    if (name.len == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "empty host in the host list");
    if (name.len > HOST_NAME_MAX_LEN)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "host name longer than %d bytes", HOST_NAME_MAX_LEN);
    for (size_t i = 0; i < name.len; i++) {
        if (!host_char_ok(name.text[i], bracketed))
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad character in host '%.*s'", (int)name.len,
                        name.text);
    }
    host->port = scheme->default_port;
    if (port.text) {
        st = parse_port(port, scheme, &host->port, errbuf, errbuf_len);
        if (st != KV_OK)
            return st;
    }
    /* RFC 6874 writes an IPv6 zone as %25 inside the brackets. */
    host->host = bracketed ? percent_decode(name) : dup_span(name);
    if (!host->host)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad %%-escape in host '%.*s'", (int)name.len, name.text);
    return KV_OK;
}

static void add_host(kv_connspec *spec, kv_host host)
{
    kv_host *grown = realloc(spec->hosts, (spec->nhosts + 1) * sizeof *grown);
    if (!grown)
        abort();
    spec->hosts = grown;
    spec->hosts[spec->nhosts++] = host;
}

static kv_status parse_hosts(span list, const scheme_info *scheme, kv_connspec *spec,
                             char *errbuf, size_t errbuf_len)
{
    if (list.len == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "no host given (e.g. %slocalhost)", scheme->prefix);
    size_t start = 0;
    for (size_t i = 0; i <= list.len; i++) {
        if (i < list.len && list.text[i] != ',' && list.text[i] != ';')
            continue;
        kv_host host = {0};
        kv_status st = parse_host((span){list.text + start, i - start}, scheme, &host, errbuf,
                                  errbuf_len);
        if (st != KV_OK)
            return st;
        add_host(spec, host);
        start = i + 1;
    }
    return KV_OK;
}

static kv_status parse_bucket(span path, kv_connspec *spec, char *errbuf, size_t errbuf_len)
{
    if (spec->kind != KV_BACKEND_COUCHBASE) {
        if (path.len == 0)
            return KV_OK;
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "memcached has no buckets: remove '/%.*s'",
                    (int)path.len, path.text);
    }
    if (path.len == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "empty bucket name after '/'");
    char *bucket = percent_decode(path);
    if (!bucket)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad %%-escape in bucket '%.*s'", (int)path.len,
                    path.text);
    if (strchr(bucket, '/')) {
        free(bucket);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bucket names cannot contain '/'");
    }
    free(spec->bucket);
    spec->bucket = bucket;
    return KV_OK;
}

static kv_status parse_timeout(const char *value, kv_connspec *spec, char *errbuf,
                               size_t errbuf_len)
{
    char *end = NULL;
    double seconds = strtod(value, &end);
    bool digits_only = strspn(value, "0123456789.") == strlen(value);
    if (!*value || *end || !digits_only || !isfinite(seconds) || seconds <= 0 ||
        seconds > TIMEOUT_MAX_S)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad timeout '%s' (seconds, above 0, at most %g)", value,
                    TIMEOUT_MAX_S);
    spec->timeout_s = seconds;
    return KV_OK;
}

static kv_status parse_bool(const char *name, const char *value, bool *out, char *errbuf,
                            size_t errbuf_len)
{
    span v = {value, strlen(value)};
    if (span_is(v, "true") || span_is(v, "1") || span_is(v, "yes") || span_is(v, "on"))
        *out = true;
    else if (span_is(v, "false") || span_is(v, "0") || span_is(v, "no") || span_is(v, "off"))
        *out = false;
    else
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad %s '%s' (true or false)", name, value);
    return KV_OK;
}

static kv_status set_string(char **field, const char *value, const char *name, char *errbuf,
                            size_t errbuf_len)
{
    if (!*value)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "empty %s", name);
    free(*field);
    *field = strdup(value);
    if (!*field)
        abort();
    return KV_OK;
}

/* The mechanisms kvtui speaks, by their SASL names (case-insensitive, as libcouchbase takes them). */
static kv_status set_sasl_mech(kv_connspec *spec, const char *value, char *errbuf,
                               size_t errbuf_len)
{
    static const char *const known[] = {"SCRAM-SHA512", "SCRAM-SHA256", "SCRAM-SHA1", "PLAIN"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcasecmp(value, known[i]) == 0)
            return set_string(&spec->sasl_mech, known[i], "sasl_mech_force", errbuf, errbuf_len);
    }
    return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                           "unknown SASL mechanism '%s' (SCRAM-SHA512, SCRAM-SHA256, SCRAM-SHA1 "
                           "or PLAIN)",
                           value);
}

static kv_status need_tls(const kv_connspec *spec, const char *name, char *errbuf,
                          size_t errbuf_len)
{
    if (spec->tls)
        return KV_OK;
    return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s= needs a TLS scheme (memcached+tls:// or couchbases://)",
                name);
}

/* One decoded ?name=value option. */
static kv_status apply_option(kv_connspec *spec, const char *name, const char *value,
                              char *errbuf, size_t errbuf_len)
{
    span n = {name, strlen(name)};
    kv_status st;
    if (span_is(n, "password") || span_is(n, "pass"))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "passwords never go in connection strings; use "
                    "KVTUI_PASSWORD or --password-file");
    if (span_is(n, "username") || span_is(n, "user"))
        return set_string(&spec->username, value, "username", errbuf, errbuf_len);
    if (span_is(n, "timeout") || span_is(n, "operation_timeout"))
        return parse_timeout(value, spec, errbuf, errbuf_len);
    if (span_is(n, "distribution") && spec->kind == KV_BACKEND_MEMCACHED) {
        span v = {value, strlen(value)};
        if (!span_is(v, "ketama") && !span_is(v, "modula"))
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad distribution '%s' (ketama or modula)", value);
        spec->ketama = span_is(v, "ketama");
        return KV_OK;
    }
    if (span_is(n, "cacert") || span_is(n, "certpath")) {
        st = need_tls(spec, "cacert", errbuf, errbuf_len);
        return st != KV_OK ? st : set_string(&spec->cacert, value, "cacert", errbuf, errbuf_len);
    }
    if (span_is(n, "sasl_mech_force"))
        return set_sasl_mech(spec, value, errbuf, errbuf_len);
    if (span_is(n, "verify")) {
        st = need_tls(spec, "verify", errbuf, errbuf_len);
        return st != KV_OK ? st : parse_bool("verify", value, &spec->verify, errbuf, errbuf_len);
    }
    return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unknown option '%s' in the connection string (known: %s)",
                name, spec->kind == KV_BACKEND_MEMCACHED
                          ? "timeout, distribution, username, sasl_mech_force, cacert, verify"
                          : "username, timeout, sasl_mech_force, cacert, verify");
}

static kv_status parse_option(span item, kv_connspec *spec, char *errbuf, size_t errbuf_len)
{
    const char *eq = memchr(item.text, '=', item.len);
    if (item.len == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "empty option in the connection string");
    if (!eq || eq == item.text)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "option '%.*s' needs the form name=value", (int)item.len,
                    item.text);
    size_t name_len = (size_t)(eq - item.text);
    char *name = percent_decode((span){item.text, name_len});
    char *value = percent_decode((span){eq + 1, item.len - name_len - 1});
    kv_status st;
    if (!name || !value)
        st = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad %%-escape in option '%.*s'", (int)name_len,
                  item.text);
    else
        st = apply_option(spec, name, value, errbuf, errbuf_len);
    free(name);
    free(value);
    return st;
}

static kv_status parse_query(span query, kv_connspec *spec, char *errbuf, size_t errbuf_len)
{
    size_t start = 0;
    for (size_t i = 0; i <= query.len; i++) {
        if (i < query.len && query.text[i] != '&')
            continue;
        kv_status st = parse_option((span){query.text + start, i - start}, spec, errbuf,
                                    errbuf_len);
        if (st != KV_OK)
            return st;
        start = i + 1;
    }
    return KV_OK;
}

static const scheme_info *find_scheme(const char *text)
{
    for (size_t i = 0; i < sizeof SCHEMES / sizeof SCHEMES[0]; i++) {
        if (strncasecmp(text, SCHEMES[i].prefix, strlen(SCHEMES[i].prefix)) == 0)
            return &SCHEMES[i];
    }
    return NULL;
}

/* scheme://hosts[/bucket][?options] */
static kv_status parse_network(const char *text, const scheme_info *scheme, kv_connspec *spec,
                               char *errbuf, size_t errbuf_len)
{
    spec->kind = scheme->kind;
    spec->tls = scheme->tls;
    if (scheme->kind == KV_BACKEND_COUCHBASE)
        spec->bucket = dup_span((span){"default", 7});
    const char *rest = text + strlen(scheme->prefix);
    size_t hosts_len = strcspn(rest, "/?");
    kv_status st = parse_hosts((span){rest, hosts_len}, scheme, spec, errbuf, errbuf_len);
    const char *after = rest + hosts_len;
    if (st == KV_OK && *after == '/') {
        size_t path_len = strcspn(after + 1, "?");
        st = parse_bucket((span){after + 1, path_len}, spec, errbuf, errbuf_len);
        after += 1 + path_len;
    }
    if (st == KV_OK && *after == '?')
        st = parse_query((span){after + 1, strlen(after + 1)}, spec, errbuf, errbuf_len);
    return st;
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

static kv_status parse_embedded(const char *path, kv_connspec *spec, char *errbuf,
                                size_t errbuf_len)
{
    spec->kind = KV_BACKEND_EMBEDDED;
    if (!path)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "no default store: set XDG_DATA_HOME or HOME, or use "
                    "-s file:PATH");
    if (!*path)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "empty store path after 'file:'");
    spec->path = strdup(path);
    if (!spec->path)
        abort();
    return KV_OK;
}

static kv_status parse_any(const char *text, kv_connspec *spec, char *errbuf, size_t errbuf_len)
{
    if (!text || !*text) {
        char *path = kv_default_store_path();
        kv_status st = parse_embedded(path, spec, errbuf, errbuf_len);
        free(path);
        return st;
    }
    const scheme_info *scheme = find_scheme(text);
    if (scheme)
        return parse_network(text, scheme, spec, errbuf, errbuf_len);
    if (strncmp(text, "file:", 5) == 0) {
        const char *path = text + 5;
        return parse_embedded(strncmp(path, "//", 2) == 0 ? path + 2 : path, spec, errbuf,
                              errbuf_len);
    }
    const char *sep = strstr(text, "://");
    if (sep && !ends_with(text, ".kvdb"))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unknown scheme '%.*s://' (use memcached://, "
                    "memcached+tls://, couchbase:// or couchbases://)",
                    (int)(sep - text > 40 ? 40 : sep - text), text);
    if (ends_with(text, ".kvdb"))
        return parse_embedded(text, spec, errbuf, errbuf_len);
    return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "not a store: use file:PATH, a path ending in .kvdb, "
                "memcached://HOST or couchbase://HOST/BUCKET");
}

kv_status kv_connspec_parse(const char *text, kv_connspec *spec, char *errbuf, size_t errbuf_len)
{
    memset(spec, 0, sizeof *spec);
    spec->verify = true;
    spec->ketama = true;
    spec->timeout_s = 2.5;
    if (errbuf && errbuf_len > 0)
        errbuf[0] = '\0';
    kv_status st = parse_any(text, spec, errbuf, errbuf_len);
    if (st != KV_OK)
        kv_connspec_free(spec);
    return st;
}

void kv_connspec_free(kv_connspec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->nhosts; i++)
        free(spec->hosts[i].host);
    free(spec->hosts);
    free(spec->path);
    free(spec->bucket);
    free(spec->username);
    free(spec->cacert);
    free(spec->sasl_mech);
    memset(spec, 0, sizeof *spec);
    spec->verify = true;
    spec->ketama = true;
    spec->timeout_s = 2.5;
}

static char *join_path(const char *base, const char *tail)
{
    size_t n = strlen(base) + strlen(tail) + 1;
    char *out = malloc(n);
    if (!out)
        abort();
    snprintf(out, n, "%s%s", base, tail);
    return out;
}

char *kv_default_store_path(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    /* The XDG spec says relative values are invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        return join_path(xdg, "/kvtui/default.kvdb");
    const char *home = getenv("HOME");
    if (home && *home)
        return join_path(home, "/.local/share/kvtui/default.kvdb");
    return NULL;
}
