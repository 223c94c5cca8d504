/* Entering and leaving the in-place editor: `e` on the open document (continuing an unsaved edit
 * of it when one was left), Esc (asking before an unsaved change is dropped), and the exit of the
 * program (an unsaved change stays in its recovery file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "editor_internal.h"

static bool can_edit(ui_app *app)
{
    const ui_document *doc = &app->doc;
    const char *why = NULL;
    if (ui_app_refuse_if_read_only(app, "edit"))
        return false;
    if (!doc->open || doc->loading || doc->result.status != KV_OK)
        why = "open a document first (Enter on a key)";
    else if (doc->result.cas == UINT64_MAX)
        why = "TemporaryFailError: the document is locked";
    else if (app->edit)
        why = "finish the conflict first (o, t, m or e)";
    if (why)
        ui_status_log(app, UI_LOG_ERROR, "%s", why);
    return why == NULL;
}

static void format_clock(int64_t when, char *out, size_t len)
{
    time_t t = (time_t)when;
    struct tm tm;
    strftime(out, len, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
}

/* An unsaved edit of this key left from before is continued, never overwritten. */
static bool continue_earlier_edit(ui_app *app, const char *key, size_t key_len)
{
    char path[1200], errbuf[1400], when[32];
    ui_recovery r;
    if (!ui_recovery_find(app->store, key, key_len, path, sizeof path))
        return false;
    if (ui_recovery_read(path, &r, errbuf, sizeof errbuf) != KV_OK) {
        char aside[1300];
        snprintf(aside, sizeof aside, "%s.damaged", path);
        rename(path, aside);
        ui_status_log(app, UI_LOG_ERROR, "%s; moved to %s", errbuf, aside);
        return false;
    }
    ui_recovery_adopt(path, app->store, key, key_len);
    ui_editor_start(app, &r, true);
    format_clock(r.saved_at, when, sizeof when);
    ui_status_log(app, UI_LOG_INFO,
                  "continuing your unsaved edit of %.*s from %s (Esc, then y, drops it)",
                  (int)key_len, key, when);
    ui_recovery_free(&r);
    return true;
}

void ui_editor_open(ui_app *app)
{
    ui_editor *e = ui_editor_state();
    if (e->open || !can_edit(app))
        return;
    const kv_result *doc = &app->doc.result;
    if (continue_earlier_edit(app, doc->key, doc->key_len))
        return;
    ui_recovery edit;
    memset(&edit, 0, sizeof edit);
    char errbuf[256], *text = NULL;
    size_t len = 0;
    kv_status status = ui_edit_text_of(doc->value, doc->value_len, doc->flags, &text, &len,
                                       &edit.form, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
        return;
    }
    memcpy(edit.key, doc->key, doc->key_len);
    edit.key_len = doc->key_len;
    edit.flags = doc->flags;
    edit.base_cas = doc->cas;
    edit.base_expiry = doc->expiry > 0 ? doc->expiry : 0;
    edit.mine = edit.base = text;
    edit.mine_len = edit.base_len = len;
    ui_editor_start(app, &edit, false);
    free(text);
}

static void leave_answered(ui_app *app, const char *answer, void *ctx)
{
    (void)ctx;
    ui_editor *e = ui_editor_state();
    if (!answer || !e->open)
        return;
    ui_status_log(app, UI_LOG_INFO, "dropped your unsaved edit of %.*s", (int)e->key_len, e->key);
    ui_editor_close(app, true);
}

void ui_editor_leave(ui_app *app)
{
    ui_editor *e = ui_editor_state();
    if (e->saving)
        return;
    size_t len;
    char *text = ui_edit_buffer_text(e->buffer, &len);
    bool same = len == e->base_len && memcmp(text, e->base_text, len) == 0;
    free(text);
    if (same && !e->conflict_known) {
        ui_editor_close(app, true);
        return;
    }
    ui_app_confirm(app, "drop your unsaved changes?", leave_answered, NULL);
}

/* The key for a message printed after curses ended: nothing from it may reach the terminal as
 * a control sequence. */
static void printable_key(const ui_editor *e, char *out, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < e->key_len && n + 1 < len; i++) {
        unsigned char c = (unsigned char)e->key[i];
        out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = '\0';
}

void ui_editor_shutdown(ui_app *app)
{
    ui_editor *e = ui_editor_state();
    ui_merge_view_shutdown();
    if (!e->open)
        return;
    if (!e->saving && ui_editor_modified(e))
        ui_editor_mirror(app);
    if (ui_editor_modified(e) && e->recovery_path[0] && access(e->recovery_path, F_OK) == 0) {
        char key[KV_KEY_MAX + 1];
        printable_key(e, key, sizeof key);
        fprintf(stderr,
                "kvtui: your unsaved edit of '%s' is kept in %s; the next start offers it\n", key,
                e->recovery_path);
    }
    ui_edit_buffer_free(e->buffer);
    e->buffer = NULL;
    free(e->base_text);
    memset(e, 0, sizeof *e);
}
