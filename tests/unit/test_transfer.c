/* JSON Lines import and export through the public client API (core/transfer_*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kv.h"

typedef struct done_info {
    kv_status status;
    uint64_t items;
    char message[256];
    unsigned progress_events;
    uint64_t last_total_bytes;
} done_info;

static char tmpdir[256];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kv_test_transfer_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char command[300];
    snprintf(command, sizeof command, "rm -rf '%s'", tmpdir);
    return system(command) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char paths[8][300];
    static unsigned next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", tmpdir, name);
    return path;
}

static kv_client *open_store(const char *name, bool read_only)
{
    kv_client *client = NULL;
    kv_open_options options = {.password = NULL, .read_only = read_only};
    char err[256] = "";
    char connstr[320];
    snprintf(connstr, sizeof connstr, "file:%s", tmp_path(name));
    if (kv_client_open(connstr, &options, &client, err, sizeof err) != KV_OK)
        fail_msg("cannot open %s: %s", connstr, err);
    return client;
}

/* Drain events until the stream ID ends; progress events are counted on the way. */
static done_info wait_done(kv_client *client, uint64_t id)
{
    done_info info;
    memset(&info, 0, sizeof info);
    for (int waited = 0; waited < 600; waited++) {
        kv_client_wait(client, 100);
        kv_event *events = kv_client_poll(client);
        bool done = false;
        while (events) {
            kv_event *next = events->next;
            if (events->id == id && events->type == KV_EVENT_PROGRESS) {
                info.progress_events++;
                info.last_total_bytes = events->total_bytes;
            } else if (events->id == id && events->type == KV_EVENT_DONE) {
                info.status = events->status;
                info.items = events->items;
                memcpy(info.message, events->message, sizeof info.message);
                done = true;
            }
            kv_event_free(events);
            events = next;
        }
        if (done)
            return info;
    }
    fail_msg("stream %llu never ended", (unsigned long long)id);
    return info;
}

static void put(kv_client *client, const char *key, const void *value, size_t len,
                uint32_t flags, int64_t ttl)
{
    kv_request *request = kv_request_new(KV_OP_UPSERT, key, strlen(key));
    kv_request_set_value(request, value, len);
    request->flags = flags;
    request->ttl = ttl;
    request->has_ttl = ttl != 0;
    kv_result result;
    memset(&result, 0, sizeof result);
    if (kv_client_call(client, request, &result) != KV_OK)
        fail_msg("upsert %s failed: %s", key, result.message);
    kv_result_clear(&result);
}

static kv_result get(kv_client *client, const char *key)
{
    kv_result result;
    memset(&result, 0, sizeof result);
    kv_client_call(client, kv_request_new(KV_OP_GET, key, strlen(key)), &result);
    return result;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The CAS of a document is the store's own, so it is blanked before two exports are compared. */
static void blank_cas(char *text)
{
    for (char *p = text; (p = strstr(p, "\"cas\":\"0x")) != NULL;) {
        for (p += 9; *p != '"'; p++)
            *p = '0';
    }
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static done_info export_to(kv_client *client, const char *path)
{
    return wait_done(client, kv_client_export(client, path, NULL));
}

static done_info import_from(kv_client *client, const char *path, const char *id_field)
{
    return wait_done(client, kv_client_import(client, path, id_field, NULL));
}

static const uint8_t plain_pickle[] = {
    0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01,
    0x4b, 0x01, 0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x02, 0x5d, 0x71, 0x03, 0x28,
    0x88, 0x4e, 0x65, 0x75, 0x2e};

static void fill_varied_store(kv_client *client)
{
    const char *big = "{\"id\":12345678901234567890123,\"price\":19.990,\"tiny\":1e-400,"
                      "\"s\":\"\\u00e9\\ud83d\\ude80\",\"nested\":{\"a\":[1,2,{\"b\":null}]}}";
    const char *pretty = "{\n  \"a\": 1,\n  \"b\": [true, false]\n}\n";
    const char *text = "line one\nline two\r\n\ttab \x1b[2J caf\xc3\xa9 \xe2\x80\xae";
    uint8_t bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (uint8_t)i;
    put(client, "json::big", big, strlen(big), KV_FLAGS_JSON, 0);
    put(client, "json::pretty", pretty, strlen(pretty), KV_FLAGS_JSON, 0);
    put(client, "json::spaced", " [1, 2] ", 8, KV_FLAGS_JSON, 0);
    put(client, "text::one", text, strlen(text), KV_FLAGS_UTF8, 0);
    put(client, "bytes::all", bytes, sizeof bytes, KV_FLAGS_BYTES, 0);
    put(client, "bytes::empty", "", 0, KV_FLAGS_BYTES, 0);
    put(client, "pickle::plain", plain_pickle, sizeof plain_pickle, KV_FLAGS_PICKLE, 0);
    put(client, "odd::flags", "{}", 2, 0x00abcdefu, 0);
    put(client, "counter::hits", "42", 2, 0, 0);
    put(client, "ttl::relative", "\"soon\"", 6, KV_FLAGS_JSON, 3600);
    put(client, "ttl::absolute", "1", 1, KV_FLAGS_JSON, 4000000000);
    put(client, "key with \"quotes\" and \\ and \xc3\xa9", "2", 1, KV_FLAGS_JSON, 0);
}

static void test_export_import_export_is_identical(void **state)
{
    (void)state;
    kv_client *a = open_store("a.kvdb", false);
    fill_varied_store(a);
    done_info first = export_to(a, tmp_path("a.jsonl"));
    assert_int_equal(first.status, KV_OK);
    assert_int_equal(first.items, 12);
    struct stat st;
    assert_int_not_equal(stat(tmp_path("a.jsonl.tmp"), &st), 0); /* renamed away */

    kv_client *b = open_store("b.kvdb", false);
    done_info imported = import_from(b, tmp_path("a.jsonl"), NULL);
    if (imported.status != KV_OK)
        fail_msg("import failed: %s", imported.message);
    assert_int_equal(imported.items, 12);
    assert_true(imported.progress_events >= 1);
    done_info second = export_to(b, tmp_path("b.jsonl"));
    assert_int_equal(second.status, KV_OK);

    size_t len_a, len_b;
    char *text_a = read_file(tmp_path("a.jsonl"), &len_a);
    char *text_b = read_file(tmp_path("b.jsonl"), &len_b);
    blank_cas(text_a);
    blank_cas(text_b);
    assert_int_equal(len_a, len_b);
    assert_string_equal(text_a, text_b);
    assert_contains(text_a, "\"value\":{\"id\":12345678901234567890123,\"price\":19.990,");

    /* Values, flags and expiry came back byte for byte. */
    const char *keys[] = {"json::pretty", "bytes::all", "pickle::plain", "odd::flags",
                          "text::one", "ttl::relative", "ttl::absolute", "json::spaced"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        kv_result ra = get(a, keys[i]), rb = get(b, keys[i]);
        assert_int_equal(rb.status, KV_OK);
        assert_int_equal(ra.value_len, rb.value_len);
        assert_memory_equal(ra.value, rb.value, ra.value_len);
        assert_int_equal(ra.flags, rb.flags);
        assert_int_equal(ra.expiry, rb.expiry);
        kv_result_clear(&ra);
        kv_result_clear(&rb);
    }
    kv_result ttl = get(b, "ttl::relative");
    assert_true(ttl.expiry > kv_now() + 3500 && ttl.expiry <= kv_now() + 3600);
    kv_result_clear(&ttl);
    free(text_a);
    free(text_b);
    kv_client_close(a);
    kv_client_close(b);
}

static void test_bad_lines_are_counted_and_named(void **state)
{
    (void)state;
    write_file(tmp_path("bad.jsonl"),
               "{\"key\":\"good::1\",\"format\":\"json\",\"value\":{\"n\":1}}\n"
               "{\"key\":\"broken\",\"value\":{\"n\":}\n"
               "\n"
               "{\"key\":\"good::2\",\"flags\":\"0x04000004\",\"value\":\"hi\",\"ttl\":120}\n"
               "{\"value\":1}\n"
               "[1,2]\n"
               "{\"key\":\"good::3\",\"format\":\"bytes\",\"value\":\"aGk=\","
               "\"encoding\":\"base64\"}");
    kv_client *client = open_store("bad.kvdb", false);
    done_info info = import_from(client, tmp_path("bad.jsonl"), NULL);
    assert_int_equal(info.status, KV_ERR_VALUE_FORMAT);
    assert_int_equal(info.items, 3);
    assert_contains(info.message, "imported 3 documents, 3 bad lines");
    assert_contains(info.message, "line 2:");
    assert_contains(info.message, "line 5:");
    assert_contains(info.message, "line 6:");
    kv_result r = get(client, "good::2");
    assert_int_equal(r.status, KV_OK);
    assert_int_equal(r.flags, KV_FLAGS_UTF8);
    assert_int_equal(r.value_len, 2);
    assert_true(r.expiry > 0);
    kv_result_clear(&r);
    r = get(client, "good::3");
    assert_int_equal(r.flags, KV_FLAGS_BYTES);
    assert_memory_equal(r.value, "hi", 2);
    kv_result_clear(&r);
    kv_client_close(client);
}

static void test_id_field_keeps_the_line_as_value(void **state)
{
    (void)state;
    const char *line1 = "{\"id\":\"u1\",\"big\":9007199254740993,\"x\":1.50}";
    const char *line2 = "{\"name\":\"n\", \"id\": 77}";
    char text[512];
    snprintf(text, sizeof text, "%s\r\n  %s  \n{\"noid\":1}\n{\"id\":[1]}\n", line1, line2);
    write_file(tmp_path("docs.jsonl"), text);
    kv_client *client = open_store("docs.kvdb", false);
    done_info info = import_from(client, tmp_path("docs.jsonl"), "id");
    assert_int_equal(info.status, KV_ERR_VALUE_FORMAT);
    assert_int_equal(info.items, 2);
    assert_contains(info.message, "line 3: no field \"id\"");
    assert_contains(info.message, "line 4:");
    kv_result r = get(client, "u1");
    assert_int_equal(r.status, KV_OK);
    assert_int_equal(r.flags, KV_FLAGS_JSON);
    assert_int_equal(r.value_len, strlen(line1));
    assert_memory_equal(r.value, line1, r.value_len);
    kv_result_clear(&r);
    r = get(client, "77");
    assert_int_equal(r.status, KV_OK);
    assert_int_equal(r.value_len, strlen(line2));
    assert_memory_equal(r.value, line2, r.value_len);
    kv_result_clear(&r);
    kv_client_close(client);
}

static void test_read_only_and_missing_file_are_refused(void **state)
{
    (void)state;
    write_file(tmp_path("one.jsonl"), "{\"key\":\"k\",\"value\":1}\n");
    kv_client *client = open_store("ro.kvdb", false);
    kv_client_close(client);
    client = open_store("ro.kvdb", true);
    done_info info = import_from(client, tmp_path("one.jsonl"), NULL);
    assert_int_equal(info.status, KV_ERR_NOT_SUPPORTED);
    kv_result r = get(client, "k");
    assert_int_equal(r.status, KV_ERR_NOT_FOUND);
    kv_client_close(client);

    client = open_store("missing.kvdb", false);
    info = import_from(client, tmp_path("does-not-exist.jsonl"), NULL);
    assert_int_equal(info.status, KV_ERR_ARGUMENT);
    assert_contains(info.message, "does-not-exist.jsonl");
    info = export_to(client, tmp_path("no-such-dir/out.jsonl"));
    assert_int_not_equal(info.status, KV_OK);
    kv_client_close(client);
}

static void write_many(const char *path, unsigned count)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (unsigned i = 0; i < count; i++)
        fprintf(f, "{\"key\":\"doc::%07u\",\"format\":\"json\",\"expiry\":0,\"value\":"
                   "{\"n\":%u,\"name\":\"document %u\",\"tags\":[\"a\",\"b\"]}}\n", i, i, i);
    fclose(f);
}

static void test_cancel_stops_an_import(void **state)
{
    (void)state;
    write_many(tmp_path("many.jsonl"), 300000);
    kv_client *client = open_store("cancel.kvdb", false);
    uint64_t id = kv_client_import(client, tmp_path("many.jsonl"), NULL, NULL);
    kv_client_cancel(client, id);
    done_info info = wait_done(client, id);
    assert_int_equal(info.status, KV_ERR_CANCELLED);
    assert_true(info.items < 300000);
    kv_client_close(client);
}

static void test_large_import_reports_progress(void **state)
{
    (void)state;
    write_many(tmp_path("many2.jsonl"), 50000);
    struct stat st;
    assert_int_equal(stat(tmp_path("many2.jsonl"), &st), 0);
    kv_client *client = open_store("many.kvdb", false);
    done_info info = import_from(client, tmp_path("many2.jsonl"), NULL);
    assert_int_equal(info.status, KV_OK);
    assert_int_equal(info.items, 50000);
    assert_true(info.progress_events >= 1);
    assert_int_equal(info.last_total_bytes, (uint64_t)st.st_size);
    kv_result r = get(client, "doc::0049999");
    assert_int_equal(r.status, KV_OK);
    kv_result_clear(&r);
    kv_client_close(client);
}

static void test_demo_data_set_imports_cleanly(void **state)
{
    (void)state;
    const char *source = getenv("KV_SOURCE_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/assets/demo/demo.jsonl", source ? source : ".");
    kv_client *client = open_store("demo.kvdb", false);
    done_info info = import_from(client, path, NULL);
    if (info.status != KV_OK)
        fail_msg("demo import: %s", info.message);
    assert_true(info.items > 3000);
    kv_result r = get(client, "pickle::settings");
    assert_int_equal(r.flags, KV_FLAGS_PICKLE);
    kv_pickle_view view;
    memset(&view, 0, sizeof view);
    char err[128];
    assert_int_equal(kv_pickle_decode(r.value, r.value_len, &view, err, sizeof err), KV_OK);
    assert_true(view.plain);
    kv_pickle_view_free(&view);
    kv_result_clear(&r);
    r = get(client, "catalog::full");
    assert_true(r.value_len > 500000);
    assert_true(kv_json_valid((const char *)r.value, r.value_len, NULL));
    kv_result_clear(&r);
    r = get(client, "counter::page_views");
    assert_int_equal(r.flags, 0);
    kv_result_clear(&r);
    kv_client_close(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_import_export_is_identical),
        cmocka_unit_test(test_bad_lines_are_counted_and_named),
        cmocka_unit_test(test_id_field_keeps_the_line_as_value),
        cmocka_unit_test(test_read_only_and_missing_file_are_refused),
        cmocka_unit_test(test_cancel_stops_an_import),
        cmocka_unit_test(test_large_import_reports_progress),
        cmocka_unit_test(test_demo_data_set_imports_cleanly),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
