/* The CAS-aware save path: see save.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "save.h"

void ui_edit_session_free(ui_edit_session *session)
{
    if (!session)
        return;
    free(session->base_text);
    free(session->mine);
    free(session->file);
    kv_result_clear(&session->theirs);
    free(session->theirs_text);
    free(session);
}

void ui_edit_session_ended(ui_app *app, ui_edit_session *session, ui_edit_end how,
                           const kv_result *result)
{
    if (session->ended)
        session->ended(app, session, how, result);
}

/* The edit is safely stored: its file is no longer needed. */
static void end_session(ui_app *app, ui_edit_session *session)
{
    if (session->file)
        unlink(session->file);
    if (app->edit == session)
        app->edit = NULL;
    ui_edit_session_free(session);
    app->dirty |= UI_REDRAW_DOC;
}

static void edit_again(ui_app *app, const char *answer, void *ctx);

/* After a save failed for a reason the user must fix: keep the edit, say where it is. */
static void keep_for_later(ui_app *app, ui_edit_session *session)
{
    ui_edit_session_ended(app, session, UI_EDIT_KEPT, NULL);
    ui_status_log(app, UI_LOG_INFO, "your edit is kept in %s", session->file);
    if (app->edit == session)
        app->edit = NULL;
    free(session->file);
    session->file = NULL; /* the file stays on disk; the session goes */
    ui_edit_session_free(session);
}

static void recreate_answered(ui_app *app, const char *answer, void *ctx);

static void save_done(ui_app *app, const kv_result *result, void *ctx)
{
    ui_edit_session *session = ctx;
    if (result->status == KV_OK) {
        ui_status_log(app, UI_LOG_OK, "saved %.*s, new cas 0x%llx", (int)session->key_len,
                      session->key, (unsigned long long)result->cas);
        ui_app_open_document(app, session->key, session->key_len);
        ui_edit_session_ended(app, session, UI_EDIT_SAVED, result);
        end_session(app, session);
    } else if (result->status == KV_ERR_KEY_EXISTS) {
        ui_conflict_begin(app, session);
    } else if (result->status == KV_ERR_NOT_FOUND) {
        ui_save_offer_recreate(app, session);
    } else {
        keep_for_later(app, session);
    }
}

static kv_request *save_request(ui_edit_session *session, kv_op op, uint64_t cas,
                                uint8_t *value, size_t len)
{
    kv_request *request = kv_request_new(op, session->key, session->key_len);
    request->value = value;
    request->value_len = len;
    request->flags = session->flags;
    request->format = kv_format_of_flags(session->flags);
    request->cas = op == KV_OP_INSERT ? 0 : cas;
    /* The expiry is sent again as an absolute time so the TTL is kept, on every backend; one
     * already past (the document expired while being edited) is not sent, so a re-create
     * does not expire at once. */
    if (session->base_expiry > kv_now()) {
        request->has_ttl = true;
        request->ttl = session->base_expiry;
    }
    return request;
}

/* The bytes of the edit, or NULL after telling the user what is wrong (the edit is kept). */
static uint8_t *edit_bytes(ui_app *app, ui_edit_session *session, size_t *len)
{
    uint8_t *bytes = NULL;
    unsigned line, column;
    char errbuf[256];
    kv_status status = ui_edit_bytes_of(session->form, session->mine, session->mine_len, &bytes,
                                        len, &line, &column, errbuf, sizeof errbuf);
    if (status == KV_OK)
        return bytes;
    ui_status_log(app, UI_LOG_ERROR, "%s: %s; nothing was written", kv_status_name(status),
                  errbuf);
    ui_app_confirm(app, "edit again?", edit_again, session);
    return NULL;
}

static void submit_save(ui_app *app, ui_edit_session *session, kv_op op, uint64_t cas)
{
    size_t len = 0;
    uint8_t *bytes = edit_bytes(app, session, &len);
    if (!bytes)
        return;
    kv_request *request = save_request(session, op, cas, bytes, len);
    char errbuf[200];
    kv_status status = kv_request_check(request, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
        kv_request_free(request);
        keep_for_later(app, session);
        return;
    }
    ui_app_submit(app, request, save_done, session);
}

void ui_save(ui_app *app, ui_edit_session *session, uint64_t cas)
{
    if (session->mine_len == session->base_text_len &&
        memcmp(session->mine, session->base_text, session->mine_len) == 0 &&
        !session->in_conflict) {
        ui_status_log(app, UI_LOG_INFO, "no change: nothing written");
        ui_edit_session_ended(app, session, UI_EDIT_UNCHANGED, NULL);
        end_session(app, session);
        return;
    }
    session->in_conflict = false;
    submit_save(app, session, KV_OP_REPLACE, cas);
}

static void recreate_answered(ui_app *app, const char *answer, void *ctx)
{
    ui_edit_session *session = ctx;
    if (answer)
        submit_save(app, session, KV_OP_INSERT, 0);
    else
        keep_for_later(app, session);
}

void ui_save_offer_recreate(ui_app *app, ui_edit_session *session)
{
    ui_app_confirm(app, "it was deleted on the store meanwhile: re-create it?",
                   recreate_answered, session);
}

/* Runs the editor on the session's file and saves what comes back. */
static void edit_and_save(ui_app *app, ui_edit_session *session)
{
    char errbuf[300];
    if (ui_run_editor(session->file, errbuf, sizeof errbuf) != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s", errbuf);
        keep_for_later(app, session);
        return;
    }
    app->dirty |= UI_REDRAW_ALL;
    size_t len = 0;
    char *text = ui_read_file(session->file, &len);
    if (!text) {
        ui_status_log(app, UI_LOG_ERROR, "cannot read back %s", session->file);
        keep_for_later(app, session);
        return;
    }
    free(session->mine);
    session->mine = text;
    session->mine_len = len;
    ui_save(app, session, session->base_cas);
}

static void edit_again(ui_app *app, const char *answer, void *ctx)
{
    ui_edit_session *session = ctx;
    if (answer)
        ui_edit_resume(app, session);
    else
        keep_for_later(app, session);
}

void ui_edit_resume(ui_app *app, ui_edit_session *session)
{
    if (app->edit == session)
        app->edit = NULL;
    session->in_conflict = false;
    if (session->resume)
        session->resume(app, session);
    else
        edit_and_save(app, session);
}

static ui_edit_session *session_of_document(ui_app *app)
{
    const kv_result *doc = &app->doc.result;
    char errbuf[256];
    ui_edit_session *session = calloc(1, sizeof *session);
    if (!session)
        abort();
    kv_status status = ui_edit_text_of(doc->value, doc->value_len, doc->flags,
                                       &session->base_text, &session->base_text_len,
                                       &session->form, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
        free(session);
        return NULL;
    }
    memcpy(session->key, doc->key, doc->key_len);
    session->key_len = doc->key_len;
    session->flags = doc->flags;
    session->base_cas = doc->cas;
    session->base_expiry = doc->expiry > 0 ? doc->expiry : 0;
    session->file = ui_edit_file_create(doc->key, doc->key_len, session->base_text,
                                        session->base_text_len, errbuf, sizeof errbuf);
    if (!session->file) {
        ui_status_log(app, UI_LOG_ERROR, "%s", errbuf);
        ui_edit_session_free(session);
        return NULL;
    }
    return session;
}

void ui_edit_external(ui_app *app)
{
    const ui_document *doc = &app->doc;
    if (ui_app_refuse_if_read_only(app, "edit"))
        return;
    if (!doc->open || doc->loading || doc->result.status != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "open a document first (Enter on a key)");
        return;
    }
    if (doc->result.cas == UINT64_MAX) {
        ui_status_log(app, UI_LOG_ERROR, "TemporaryFailError: the document is locked");
        return;
    }
    if (app->edit) {
        ui_status_log(app, UI_LOG_ERROR, "finish the edit of the conflict first");
        return;
    }
    ui_edit_session *session = session_of_document(app);
    if (session)
        edit_and_save(app, session);
}
