/* Ctrl-S in the editor: validate the edit, hand it to the CAS-aware save path (save.h) as a
 * session, and take it back through the session's hooks: after a save the editor goes on from the
 * new CAS; "keep editing" after a conflict returns here; "take theirs" closes the editor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "editor_internal.h"

/* Refuse what cannot be stored (invalid JSON, bad hex) before anything is sent, with the cursor
 * on the problem and the edit untouched. */
static bool valid_or_explained(ui_app *app, ui_editor *e, const char *text, size_t len)
{
    uint8_t *bytes = NULL;
    size_t bytes_len = 0;
    unsigned line = 0, column = 0;
    char errbuf[256];
    kv_status status = ui_edit_bytes_of(e->form, text, len, &bytes, &bytes_len, &line, &column,
                                        errbuf, sizeof errbuf);
    free(bytes);
    if (status == KV_OK)
        return true;
    ui_status_log(app, UI_LOG_ERROR, "%s: %s; nothing was written", kv_status_name(status), errbuf);
    if (line > 0)
        ui_edit_buffer_goto(e->buffer, line - 1, column > 0 ? column - 1 : 0);
    app->dirty |= UI_REDRAW_DOC;
    return false;
}

/* Replace the buffer with TEXT when they differ (a merge result or an overwrite came back). */
static void show_text(ui_editor *e, const char *text, size_t len)
{
    size_t now_len;
    char *now = ui_edit_buffer_text(e->buffer, &now_len);
    if (now_len != len || memcmp(now, text, len) != 0)
        ui_editor_set_text(e, text, len, ui_edit_buffer_cursor_offset(e->buffer));
    free(now);
}

static void took_saved(ui_editor *e, ui_edit_session *session, const kv_result *result)
{
    e->own_old_cas = e->base_cas;
    e->base_cas = result ? result->cas : e->base_cas;
    free(e->base_text);
    e->base_text = session->mine; /* the saved text is the new base */
    e->base_len = session->mine_len;
    session->mine = NULL;
    session->mine_len = 0;
    show_text(e, e->base_text, e->base_len);
    e->flags = session->flags;
    ui_edit_buffer_mark_saved(e->buffer);
    e->unsaved_restore = false;
    e->mirrored_changes = e->changes;
    e->conflict_known = false;
    e->recovery_path[0] = '\0'; /* the save path deleted the recovery file */
}

/* The save path is done with SESSION: take back what it says. */
static void session_ended(ui_app *app, ui_edit_session *session, ui_edit_end how,
                          const kv_result *result)
{
    ui_editor *e = ui_editor_state();
    if (!e->open || session->owner != e)
        return;
    e->saving = false;
    if (how == UI_EDIT_SAVED) {
        took_saved(e, session, result);
    } else if (how == UI_EDIT_UNCHANGED) {
        ui_edit_buffer_mark_saved(e->buffer);
        e->unsaved_restore = false;
        e->recovery_path[0] = '\0';
    } else if (how == UI_EDIT_DISCARDED) {
        ui_editor_close(app, false); /* took theirs: the save path removed the file */
    } else {
        e->mirrored_changes = e->changes; /* kept: the recovery file stays */
    }
    app->dirty |= UI_REDRAW_ALL;
}

/* "Keep editing" in the conflict view (or after a merge): the edit comes back to the editor,
 * based on whatever the session is now based on. */
static void session_resumed(ui_app *app, ui_edit_session *session)
{
    ui_editor *e = ui_editor_state();
    if (!e->open) {
        ui_edit_session_free(session);
        return;
    }
    e->saving = false;
    e->conflict_known = session->theirs.cas != 0 && session->theirs.cas != session->base_cas;
    e->base_cas = session->base_cas;
    free(e->base_text);
    e->base_text = session->base_text;
    e->base_len = session->base_text_len;
    session->base_text = NULL;
    show_text(e, session->mine, session->mine_len);
    e->unsaved_restore = true; /* what comes back was never saved */
    ui_edit_session_free(session);
    e->changes++; /* so the recovery copy is written again */
    ui_editor_mirror(app);
    app->focus = UI_PANE_DOC;
    app->dirty |= UI_REDRAW_ALL;
}

static ui_edit_session *new_session(ui_editor *e, char *text, size_t len)
{
    ui_edit_session *session = calloc(1, sizeof *session);
    if (!session)
        abort();
    memcpy(session->key, e->key, e->key_len);
    session->key_len = e->key_len;
    session->flags = e->flags;
    session->form = e->form;
    session->base_cas = e->base_cas;
    session->base_expiry = e->base_expiry;
    session->base_text = ui_editor_copy(e->base_text, e->base_len);
    session->base_text_len = e->base_len;
    session->mine = text;
    session->mine_len = len;
    session->ended = session_ended;
    session->resume = session_resumed;
    session->owner = e;
    return session;
}

/* The file the save path keeps the edit in if the save fails: the recovery copy. */
static bool give_file(ui_app *app, ui_editor *e, ui_edit_session *session)
{
    char errbuf[300];
    ui_editor_mirror(app);
    if (e->recovery_path[0])
        session->file = strdup(e->recovery_path);
    else
        session->file = ui_edit_file_create(e->key, e->key_len, session->mine, session->mine_len,
                                            errbuf, sizeof errbuf);
    return session->file != NULL;
}

void ui_editor_save(ui_app *app)
{
    ui_editor *e = ui_editor_state();
    if (e->saving) {
        ui_status_log(app, UI_LOG_INFO, "a save of this document is already running");
        return;
    }
    size_t len;
    char *text = ui_edit_buffer_text(e->buffer, &len);
    if (len == e->base_len && memcmp(text, e->base_text, len) == 0) {
        ui_status_log(app, UI_LOG_INFO, "no change: nothing written");
        ui_edit_buffer_mark_saved(e->buffer);
        e->unsaved_restore = false;
        ui_recovery_remove(app->store, e->key, e->key_len);
        e->recovery_path[0] = '\0';
        free(text);
        return;
    }
    if (!valid_or_explained(app, e, text, len)) {
        free(text);
        return;
    }
    e->changes++; /* so the mirror below writes the exact text being saved */
    ui_edit_session *session = new_session(e, text, len);
    if (!give_file(app, e, session)) {
        ui_status_log(app, UI_LOG_ERROR, "cannot keep a copy of the edit; not saving");
        ui_edit_session_free(session);
        return;
    }
    e->saving = true;
    ui_status_log(app, UI_LOG_INFO, "saving %.*s (replace if cas is still 0x%llx)...",
                  (int)e->key_len, e->key, (unsigned long long)e->base_cas);
    ui_save(app, session, e->base_cas);
}
