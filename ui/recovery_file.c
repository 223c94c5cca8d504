/* The recovery file format: a one-line JSON header, the edit, then its base (see recovery.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recovery.h"

#define RECOVERY_VERSION 1
/* The largest file read back: an edit and its base, each at most a 20 MiB value shown as hex. */
#define RECOVERY_FILE_MAX (8u * KV_VALUE_MAX)

static const char *const FORM_NAMES[] = {
    [UI_EDIT_JSON] = "json",
    [UI_EDIT_TEXT] = "text",
    [UI_EDIT_HEX] = "hex",
    [UI_EDIT_PICKLE_JSON] = "pickle",
};

static bool form_parse(const char *name, ui_edit_form *form)
{
    for (size_t i = 0; i < sizeof FORM_NAMES / sizeof FORM_NAMES[0]; i++) {
        if (name && strcmp(name, FORM_NAMES[i]) == 0) {
            *form = (ui_edit_form)i;
            return true;
        }
    }
    return false;
}

static void hex_of(const char *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char)bytes[i]);
    out[2 * len] = '\0';
}

static void add_hex_u64(cJSON *header, const char *name, uint64_t value)
{
    char text[24];
    snprintf(text, sizeof text, "0x%llx", (unsigned long long)value);
    cJSON_AddStringToObject(header, name, text);
}

/* The header line; the key is kept as hex (keys are bytes), and as text when it is UTF-8 so a
 * person reading the folder sees which document it is. */
static char *header_line(const ui_recovery *r)
{
    char key_hex[2 * KV_KEY_MAX + 1];
    cJSON *header = cJSON_CreateObject();
    cJSON_AddNumberToObject(header, "kvtui_recovery", RECOVERY_VERSION);
    cJSON_AddStringToObject(header, "store", r->store);
    hex_of(r->key, r->key_len, key_hex);
    cJSON_AddStringToObject(header, "key_hex", key_hex);
    if (kv_utf8_valid((const uint8_t *)r->key, r->key_len) && !memchr(r->key, 0, r->key_len))
        cJSON_AddStringToObject(header, "key", r->key);
    add_hex_u64(header, "base_cas", r->base_cas);
    add_hex_u64(header, "flags", r->flags);
    cJSON_AddStringToObject(header, "form", FORM_NAMES[r->form]);
    cJSON_AddNumberToObject(header, "base_expiry", (double)r->base_expiry);
    cJSON_AddNumberToObject(header, "saved_at", (double)r->saved_at);
    cJSON_AddNumberToObject(header, "cursor", (double)r->cursor);
    cJSON_AddNumberToObject(header, "mine_len", (double)r->mine_len);
    cJSON_AddNumberToObject(header, "base_len", (double)r->base_len);
    char *line = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);
    if (!line)
        abort();
    return line;
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static bool write_parts(int fd, const ui_recovery *r)
{
    char *header = header_line(r);
    bool ok = write_all(fd, header, strlen(header)) && write_all(fd, "\n", 1) &&
              write_all(fd, r->mine, r->mine_len) && write_all(fd, r->base, r->base_len);
    free(header);
    return ok;
}

kv_status ui_recovery_write(const ui_recovery *recovery, char *path_out, size_t path_len,
                            char *errbuf, size_t errbuf_len)
{
    char path[1200], temp[1220];
    if (!ui_recovery_path(recovery->store, recovery->key, recovery->key_len, path, sizeof path))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL,
                               "cannot create the recovery folder under $XDG_STATE_HOME");
    snprintf(temp, sizeof temp, "%s.XXXXXX", path);
    int fd = mkstemp(temp); /* mode 0600 */
    if (fd < 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot create %s: %s", temp,
                               strerror(errno));
    bool ok = write_parts(fd, recovery);
    ok = close(fd) == 0 && ok;
    if (!ok || rename(temp, path) != 0) {
        int saved = errno;
        unlink(temp);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot write %s: %s", path,
                               strerror(saved));
    }
    if (path_out)
        snprintf(path_out, path_len, "%s", path);
    return KV_OK;
}

static bool read_all(int fd, char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static char *read_whole(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *data = NULL;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size <= RECOVERY_FILE_MAX) {
        *len = (size_t)st.st_size;
        data = malloc(*len + 1);
        if (data && !read_all(fd, data, *len)) {
            free(data);
            data = NULL;
        }
    }
    if (fd >= 0)
        close(fd);
    return data;
}

static double number_of(const cJSON *header, const char *name, double fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(header, name);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

static const char *string_of(const cJSON *header, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(header, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool key_of_hex(const char *hex, ui_recovery *r)
{
    size_t len = hex ? strlen(hex) : 0;
    if (len == 0 || len % 2 || len / 2 > KV_KEY_MAX)
        return false;
    for (size_t i = 0; i < len / 2; i++) {
        int high = kv_hex_digit((unsigned char)hex[2 * i]);
        int low = kv_hex_digit((unsigned char)hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return false;
        r->key[i] = (char)(high << 4 | low);
    }
    r->key_len = len / 2;
    r->key[r->key_len] = '\0';
    return true;
}

/* Fill R's metadata from the header; false when a field is missing or wrong. */
static bool parse_header(const cJSON *header, ui_recovery *r)
{
    const char *store = string_of(header, "store");
    const char *cas = string_of(header, "base_cas");
    const char *flags = string_of(header, "flags");
    uint64_t flags_value = 0;
    if (number_of(header, "kvtui_recovery", 0) != RECOVERY_VERSION || !store ||
        strlen(store) >= sizeof r->store || !key_of_hex(string_of(header, "key_hex"), r) || !cas ||
        kv_cas_parse(cas, &r->base_cas) != KV_OK || !flags ||
        kv_cas_parse(flags, &flags_value) != KV_OK || flags_value > UINT32_MAX ||
        !form_parse(string_of(header, "form"), &r->form))
        return false;
    snprintf(r->store, sizeof r->store, "%s", store);
    r->flags = (uint32_t)flags_value;
    r->base_expiry = (int64_t)number_of(header, "base_expiry", 0);
    r->saved_at = (int64_t)number_of(header, "saved_at", 0);
    r->cursor = (size_t)number_of(header, "cursor", 0);
    r->mine_len = (size_t)number_of(header, "mine_len", -1);
    r->base_len = (size_t)number_of(header, "base_len", -1);
    return number_of(header, "mine_len", -1) >= 0 && number_of(header, "base_len", -1) >= 0;
}

static char *copy_part(const char *data, size_t len)
{
    char *part = malloc(len + 1);
    if (!part)
        abort();
    memcpy(part, data, len);
    part[len] = '\0';
    return part;
}

kv_status ui_recovery_read(const char *path, ui_recovery *r, char *errbuf, size_t errbuf_len)
{
    memset(r, 0, sizeof *r);
    size_t len = 0;
    char *data = read_whole(path, &len);
    if (!data)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot read %s", path);
    char *newline = memchr(data, '\n', len);
    cJSON *header = newline ? cJSON_ParseWithLength(data, (size_t)(newline - data)) : NULL;
    bool ok = header && parse_header(header, r);
    cJSON_Delete(header);
    size_t body = ok ? len - (size_t)(newline + 1 - data) : 0;
    if (!ok || r->mine_len > body || r->base_len != body - r->mine_len) {
        free(data);
        memset(r, 0, sizeof *r);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                               "%s is not a kvtui recovery file (or it is damaged)", path);
    }
    r->mine = copy_part(newline + 1, r->mine_len);
    r->base = copy_part(newline + 1 + r->mine_len, r->base_len);
    if (r->cursor > r->mine_len)
        r->cursor = r->mine_len;
    free(data);
    return KV_OK;
}

void ui_recovery_free(ui_recovery *recovery)
{
    free(recovery->mine);
    free(recovery->base);
    recovery->mine = recovery->base = NULL;
}
