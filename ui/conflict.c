/* The conflict view: a save met someone else's write. It shows base, mine and theirs and lets
 * the user overwrite, take theirs, merge or keep editing; the edit is kept until one of them
 * succeeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw_text.h"
#include "save.h"

static void theirs_loaded(ui_app *app, const kv_result *result, void *ctx)
{
    ui_edit_session *session = ctx;
    if (result->status == KV_ERR_NOT_FOUND) {
        app->edit = NULL;
        ui_save_offer_recreate(app, session);
        return;
    }
    kv_result_clear(&session->theirs);
    session->theirs = *result;
    ((kv_result *)result)->value = NULL; /* the session keeps the value */
    free(session->theirs_text);
    session->theirs_text = NULL;
    ui_edit_form form;
    char errbuf[200];
    if (ui_edit_text_of(session->theirs.value, session->theirs.value_len, session->theirs.flags,
                        &session->theirs_text, &session->theirs_text_len, &form, errbuf,
                        sizeof errbuf) != KV_OK) {
        session->theirs_text = strdup(errbuf);
        session->theirs_text_len = strlen(errbuf);
    }
    session->in_conflict = true;
    app->focus = UI_PANE_DOC;
    ui_status_log(app, UI_LOG_ERROR,
                  "KeyExistsError: %.*s changed on the store (cas 0x%llx): o overwrite, "
                  "t take theirs, m merge, e keep editing",
                  (int)session->key_len, session->key, (unsigned long long)result->cas);
    app->dirty |= UI_REDRAW_ALL;
}

void ui_conflict_begin(ui_app *app, ui_edit_session *session)
{
    app->edit = session;
    ui_app_submit(app, kv_request_new(KV_OP_GET, session->key, session->key_len),
                  theirs_loaded, session);
}

/* Line I of TEXT (without its newline), or NULL past the end. */
static const char *nth_line(const char *text, size_t len, size_t i, size_t *line_len)
{
    const char *p = text, *end = text + len;
    while (i > 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        p = nl + 1;
        i--;
    }
    if (i > 0 || p >= end)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *line_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    return p;
}

/* One section: a title, then ROWS lines of TEXT; lines that differ from BASE are marked. */
static int draw_section(WINDOW *w, int y, int rows, int width, const char *title,
                        const char *text, size_t len, const ui_edit_session *session)
{
    wmove(w, y++, 1);
    ui_draw_plain(w, title, width, UI_STYLE_HEADER);
    for (int i = 0; i < rows; i++) {
        size_t line_len, base_len;
        const char *line = nth_line(text, len, (size_t)i, &line_len);
        if (!line)
            break;
        const char *base = nth_line(session->base_text, session->base_text_len, (size_t)i,
                                    &base_len);
        bool changed = !base || base_len != line_len || memcmp(base, line, line_len) != 0;
        wmove(w, y + i, 1);
        ui_draw_plain(w, changed ? "~ " : "  ", 2, UI_STYLE_TTL_WARNING);
        ui_draw_text(w, line, line_len, width - 2, UI_STYLE_NORMAL, false);
    }
    return y + rows;
}

void ui_conflict_draw(ui_pane *pane, ui_app *app)
{
    const ui_edit_session *s = app->edit;
    WINDOW *w = pane->win;
    int width = pane->width - 2;
    char line[300];
    wmove(w, 0, 1);
    ui_draw_plain(w, "CONFLICT: changed on the store since you opened it", width, UI_STYLE_ERROR);
    wmove(w, 1, 1);
    ui_draw_text(w, s->key, s->key_len, width, UI_STYLE_TITLE, true);
    snprintf(line, sizeof line, "yours was based on cas 0x%llx; the store has 0x%llx",
             (unsigned long long)s->base_cas, (unsigned long long)s->theirs.cas);
    wmove(w, 2, 1);
    ui_draw_plain(w, line, width, UI_STYLE_HEADER);
    wmove(w, 3, 1);
    ui_draw_plain(w, "o overwrite  t take theirs  m merge  e keep editing", width,
                  UI_STYLE_BADGE);
    int rows = (pane->height - 5 - 3) / 3;
    int y = draw_section(w, 5, rows, width, "base (as you opened it)", s->base_text,
                         s->base_text_len, s);
    y = draw_section(w, y, rows, width, "mine", s->mine, s->mine_len, s);
    draw_section(w, y, rows, width, "theirs", s->theirs_text ? s->theirs_text : "",
                 s->theirs_text_len, s);
}

static void take_theirs(ui_app *app, ui_edit_session *session)
{
    ui_status_log(app, UI_LOG_INFO, "took theirs; your edit of %.*s was discarded",
                  (int)session->key_len, session->key);
    ui_app_open_document(app, session->key, session->key_len);
    ui_edit_session_ended(app, session, UI_EDIT_DISCARDED, NULL);
    if (session->file)
        remove(session->file);
    app->edit = NULL;
    ui_edit_session_free(session);
}

unsigned ui_conflict_action(ui_app *app, ui_action action)
{
    ui_edit_session *session = app->edit;
    if (!session || !session->in_conflict)
        return UI_KEY_UNHANDLED;
    switch (action) {
    case UI_ACTION_OVERWRITE: ui_save(app, session, session->theirs.cas); break;
    case UI_ACTION_TAKE_THEIRS: take_theirs(app, session); break;
    case UI_ACTION_KEEP_EDITING: ui_edit_resume(app, session); break;
    case UI_ACTION_MERGE: ui_conflict_merge(app, session); break;
    default: return UI_KEY_UNHANDLED;
    }
    return UI_REDRAW_ALL;
}
