/* The in-place editor's state: starting and closing it, mirroring an unsaved edit to its recovery
 * file (at most once a second), and noticing that the store moved on while it was edited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw_text.h"
#include "editor_internal.h"

#define MIRROR_INTERVAL_MS 1000

static ui_editor the_editor;

ui_editor *ui_editor_state(void)
{
    return &the_editor;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *ui_editor_copy(const char *bytes, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    return copy;
}

bool ui_editor_modified(ui_editor *editor)
{
    return editor->buffer && (editor->unsaved_restore || ui_edit_buffer_modified(editor->buffer));
}

static bool same_text(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* The editor measures text the way ui_draw_text draws it, so up/down keep the column shown. */
static int drawn_columns(const char *text, size_t len)
{
    return ui_text_columns(text, len, false);
}

void ui_editor_set_text(ui_editor *editor, const char *text, size_t len, size_t cursor)
{
    ui_edit_buffer_free(editor->buffer);
    editor->buffer = ui_edit_buffer_new(text, len, drawn_columns);
    ui_edit_buffer_set_cursor_offset(editor->buffer, cursor);
}

void ui_editor_start(ui_app *app, const ui_recovery *edit, bool modified)
{
    ui_editor *e = &the_editor;
    char search[sizeof e->search];
    memcpy(search, e->search, sizeof search);
    memset(e, 0, sizeof *e);
    memcpy(e->search, search, sizeof search);
    e->open = true;
    memcpy(e->key, edit->key, edit->key_len);
    e->key_len = edit->key_len;
    e->flags = edit->flags;
    e->form = edit->form;
    e->base_cas = edit->base_cas;
    e->base_expiry = edit->base_expiry;
    e->base_text = ui_editor_copy(edit->base, edit->base_len);
    e->base_len = edit->base_len;
    ui_editor_set_text(e, edit->mine, edit->mine_len, edit->cursor);
    e->unsaved_restore = modified;
    if (modified)
        ui_recovery_path(app->store, e->key, e->key_len, e->recovery_path, sizeof e->recovery_path);
    app->focus = UI_PANE_DOC;
    app->show_help = false;
    app->dirty |= UI_REDRAW_ALL;
}

void ui_editor_close(ui_app *app, bool forget)
{
    ui_editor *e = &the_editor;
    if (!e->open)
        return;
    if (forget)
        ui_recovery_remove(app->store, e->key, e->key_len);
    ui_edit_buffer_free(e->buffer);
    e->buffer = NULL;
    free(e->base_text);
    e->base_text = NULL;
    e->open = false;
    e->saving = false;
    app->dirty |= UI_REDRAW_ALL;
}

static void fill_recovery(ui_app *app, const ui_editor *e, ui_recovery *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->store, sizeof r->store, "%s", app->store);
    memcpy(r->key, e->key, e->key_len);
    r->key_len = e->key_len;
    r->base_cas = e->base_cas;
    r->flags = e->flags;
    r->form = e->form;
    r->base_expiry = e->base_expiry;
    r->saved_at = kv_now();
    r->cursor = ui_edit_buffer_cursor_offset(e->buffer);
    r->base = e->base_text;
    r->base_len = e->base_len;
}

/* Write TEXT as the recovery copy (or drop the copy when TEXT is what is stored). */
static void mirror_text(ui_app *app, ui_editor *e, char *text, size_t len)
{
    ui_recovery r;
    char errbuf[300];
    e->mirrored_changes = e->changes;
    e->mirrored_at_ms = monotonic_ms();
    if (same_text(text, len, e->base_text, e->base_len) && !e->conflict_known) {
        ui_recovery_remove(app->store, e->key, e->key_len);
        e->recovery_path[0] = '\0';
        return;
    }
    fill_recovery(app, e, &r);
    r.mine = text;
    r.mine_len = len;
    if (ui_recovery_write(&r, e->recovery_path, sizeof e->recovery_path, errbuf, sizeof errbuf) ==
        KV_OK) {
        e->mirror_failed = false;
        return;
    }
    e->recovery_path[0] = '\0';
    if (!e->mirror_failed)
        ui_status_log(app, UI_LOG_ERROR, "no recovery copy of your edit: %s", errbuf);
    e->mirror_failed = true;
}

void ui_editor_mirror(ui_app *app)
{
    ui_editor *e = &the_editor;
    if (!e->open || e->saving)
        return;
    size_t len;
    char *text = ui_edit_buffer_text(e->buffer, &len);
    mirror_text(app, e, text, len);
    free(text);
}

void ui_editor_changed(ui_app *app)
{
    ui_editor *e = &the_editor;
    e->changes++;
    if (monotonic_ms() - e->mirrored_at_ms >= MIRROR_INTERVAL_MS)
        ui_editor_mirror(app);
}

const char *ui_editor_store_notice(ui_app *app, ui_editor *e)
{
    static const char changed[] = "changed on the store: saving will conflict";
    static const char deleted[] = "deleted on the store: saving will offer to re-create it";
    if (e->conflict_known)
        return changed;
    long id = ui_key_model_find(&app->keys, e->key, e->key_len);
    const ui_key_entry *entry = id >= 0 ? &app->keys.entries[id] : NULL;
    e->listed = e->listed || entry;
    /* A key that was listed and is not any more was removed (or expired) on the store. */
    if ((entry && entry->removed) || (!entry && e->listed && !app->scanning))
        return deleted;
    /* CAS grows with every write on every backend; an older one is a stale row, not news. */
    if (entry && entry->cas > e->base_cas && entry->cas != e->own_old_cas)
        return changed;
    const kv_result *doc = &app->doc.result;
    if (!app->doc.open || app->doc.loading || doc->key_len != e->key_len ||
        memcmp(doc->key, e->key, e->key_len) != 0)
        return NULL;
    if (doc->status == KV_ERR_NOT_FOUND)
        return deleted;
    if (doc->status == KV_OK && doc->cas > e->base_cas && doc->cas != UINT64_MAX)
        return changed;
    return NULL;
}

void ui_editor_tick(ui_app *app)
{
    ui_editor *e = &the_editor;
    if (!e->open)
        return;
    if (!e->saving && e->changes != e->mirrored_changes &&
        monotonic_ms() - e->mirrored_at_ms >= MIRROR_INTERVAL_MS - 100)
        ui_editor_mirror(app);
    const char *notice = ui_editor_store_notice(app, e);
    if (notice && !e->notice_logged)
        ui_status_log(app, UI_LOG_ERROR, "%.*s %s", (int)e->key_len, e->key, notice);
    e->notice_logged = notice != NULL;
    app->dirty |= UI_REDRAW_DOC;
}
