/* The merge choice of the conflict view (`m`): base, mine and theirs are merged by path
 * (merge3.h); changes only one side made come in by themselves, clashing paths are listed for
 * the user to pick mine or theirs, and the result is shown. `y` or Ctrl-S saves it over theirs
 * (with theirs' CAS, so a write made meanwhile is a conflict again and the view comes back), `e`
 * edits the result first, Esc goes back to the conflict view. The merged edit is based on
 * theirs from then on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw_text.h"
#include "editor_internal.h"
#include "merge3.h"

#define CTRL(c) ((c)&0x1f)
#define KEY_ESCAPE 27
#define HEADER_ROWS 4
#define ROWS_PER_CLASH 3

typedef struct merge_view {
    bool active;
    ui_edit_session *session; /* the conflict's edit, the view's while it is open */
    ui_merge merge;
    size_t selected, top;
    char *result; /* the merged text once every clash is picked */
    size_t result_len;
} merge_view;

static merge_view view;

bool ui_merge_view_active(void)
{
    return view.active;
}

static void refresh_result(void)
{
    char errbuf[200];
    free(view.result);
    view.result = NULL;
    if (ui_merge_result(&view.merge, &view.result, &view.result_len, errbuf, sizeof errbuf) !=
        KV_OK)
        view.result = NULL;
}

/* A merge needs both sides in the same JSON form. */
static bool mergeable(ui_app *app, const ui_edit_session *session)
{
    const char *why = NULL;
    if (session->form != UI_EDIT_JSON && session->form != UI_EDIT_PICKLE_JSON)
        why = "merge works on JSON documents and pickles of plain data";
    else if (!session->theirs_text || session->theirs.status != KV_OK)
        why = "their version could not be read";
    else if (kv_format_of_flags(session->theirs.flags) != kv_format_of_flags(session->flags))
        why = "they changed the document's format";
    if (why)
        ui_status_log(app, UI_LOG_ERROR, "NotSupportedError: %s; o, t or e resolve it", why);
    return why == NULL;
}

void ui_conflict_merge(ui_app *app, ui_edit_session *session)
{
    char errbuf[300];
    if (view.active || !mergeable(app, session))
        return;
    if (ui_merge3(session->base_text, session->base_text_len, session->mine, session->mine_len,
                  session->theirs_text, session->theirs_text_len, &view.merge, errbuf,
                  sizeof errbuf) != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "merge: %s", errbuf);
        return;
    }
    view.active = true;
    view.session = session;
    view.selected = view.top = 0;
    session->in_conflict = false;
    app->edit = NULL; /* the merge view shows it now */
    refresh_result();
    ui_status_log(app, UI_LOG_INFO,
                  "merge: %zu change(s) of theirs came in by themselves, "
                  "%zu clash(es) to pick",
                  view.merge.merged, view.merge.nclashes);
    app->focus = UI_PANE_DOC;
    app->dirty |= UI_REDRAW_ALL;
}

/* Close the view and hand back its session. */
static ui_edit_session *take_session(void)
{
    ui_edit_session *session = view.session;
    ui_merge_free(&view.merge);
    free(view.result);
    memset(&view, 0, sizeof view);
    return session;
}

/* The session now holds the merge, based on theirs (whose CAS a save must match). */
static void adopt_result(ui_edit_session *s, char *result, size_t len)
{
    free(s->mine);
    s->mine = result;
    s->mine_len = len;
    free(s->base_text);
    s->base_text = s->theirs_text;
    s->base_text_len = s->theirs_text_len;
    s->theirs_text = NULL;
    s->theirs_text_len = 0;
    s->base_cas = s->theirs.cas;
    FILE *f = !s->owner && s->file ? fopen(s->file, "wb") : NULL; /* $EDITOR's file: raw text */
    if (f) {
        fwrite(s->mine, 1, s->mine_len, f);
        fclose(f);
    }
}

static unsigned save_result(ui_app *app, bool then_edit)
{
    if (!view.result) {
        ui_status_log(app, UI_LOG_ERROR, "pick mine (m) or theirs (t) for every clash first");
        return UI_REDRAW_STATUS;
    }
    char *result = view.result;
    size_t len = view.result_len;
    view.result = NULL;
    ui_edit_session *session = take_session();
    adopt_result(session, result, len);
    if (then_edit) {
        ui_edit_resume(app, session);
    } else {
        session->in_conflict = true; /* a merge is never "no change": theirs must be replaced */
        ui_save(app, session, session->base_cas);
    }
    return UI_REDRAW_ALL;
}

static unsigned back_to_conflict(ui_app *app)
{
    ui_edit_session *session = take_session();
    session->in_conflict = true;
    app->edit = session;
    return UI_REDRAW_ALL;
}

/* Pick for the selected clash, then move to the next one still open. */
static unsigned pick(ui_merge_pick choice)
{
    if (view.merge.nclashes == 0)
        return UI_REDRAW_NONE;
    view.merge.clashes[view.selected].pick = choice;
    for (size_t i = 1; i <= view.merge.nclashes; i++) {
        size_t next = (view.selected + i) % view.merge.nclashes;
        if (view.merge.clashes[next].pick == UI_MERGE_UNPICKED) {
            view.selected = next;
            break;
        }
    }
    refresh_result();
    return UI_REDRAW_DOC;
}

static unsigned select_by(long delta)
{
    long last = (long)view.merge.nclashes - 1;
    long at = (long)view.selected + delta;
    view.selected = (size_t)(at < 0 ? 0 : at > last ? (last < 0 ? 0 : last) : at);
    return UI_REDRAW_DOC;
}

unsigned ui_merge_view_key(ui_app *app, const ui_key *key)
{
    int c = key->code;
    if (key->function) {
        if (c == KEY_UP || c == KEY_DOWN)
            return select_by(c == KEY_UP ? -1 : 1);
        if (c == KEY_LEFT || c == KEY_RIGHT)
            return pick(c == KEY_LEFT ? UI_MERGE_MINE : UI_MERGE_THEIRS);
        return UI_REDRAW_NONE;
    }
    switch (c) {
    case 'k':
        return select_by(-1);
    case 'j':
        return select_by(1);
    case 'm':
        return pick(UI_MERGE_MINE);
    case 't':
        return pick(UI_MERGE_THEIRS);
    case 'y':
    case CTRL('s'):
        return save_result(app, false);
    case 'e':
        return save_result(app, true);
    case KEY_ESCAPE:
    case 'q':
        return back_to_conflict(app);
    default:
        return UI_REDRAW_NONE; /* nothing else may act while the merge is open */
    }
}

static const char *pick_name(ui_merge_pick pick)
{
    return pick == UI_MERGE_MINE ? "[mine]" : pick == UI_MERGE_THEIRS ? "[theirs]" : "[pick m/t]";
}

static void draw_value(WINDOW *w, int y, int width, const char *label, const char *value)
{
    wmove(w, y, 5);
    int used = ui_draw_plain(w, label, width - 4, UI_STYLE_DIM);
    if (value)
        ui_draw_text(w, value, strlen(value), width - 4 - used, UI_STYLE_NORMAL, true);
    else
        ui_draw_plain(w, "(removed)", width - 4 - used, UI_STYLE_DIM);
}

static int draw_clashes(WINDOW *w, int y, int rows, int width)
{
    size_t fit = (size_t)(rows / ROWS_PER_CLASH > 0 ? rows / ROWS_PER_CLASH : 1);
    if (view.selected < view.top)
        view.top = view.selected;
    if (view.selected >= view.top + fit)
        view.top = view.selected - fit + 1;
    for (size_t i = view.top; i < view.merge.nclashes && i < view.top + fit; i++) {
        const ui_merge_clash *c = &view.merge.clashes[i];
        bool selected = i == view.selected;
        wmove(w, y, 1);
        int used = ui_draw_plain(w, selected ? "> " : "  ", 2, UI_STYLE_TITLE);
        const char *path = c->path[0] ? c->path : "(the whole document)";
        used += ui_draw_text(w, path, strlen(path), width / 2,
                             selected ? UI_STYLE_SELECTED : UI_STYLE_JSON_KEY, true);
        wmove(w, y, 2 + used);
        ui_draw_plain(w, pick_name(c->pick), width - used - 2,
                      c->pick == UI_MERGE_UNPICKED ? UI_STYLE_ERROR : UI_STYLE_OK);
        draw_value(w, y + 1, width, "mine:   ", c->mine);
        draw_value(w, y + 2, width, "theirs: ", c->theirs);
        y += ROWS_PER_CLASH;
    }
    return y;
}

static void draw_result(WINDOW *w, int y, int bottom, int width)
{
    wmove(w, y++, 1);
    if (!view.result) {
        ui_draw_plain(w, "result: pick every clash to see it", width, UI_STYLE_DIM);
        return;
    }
    ui_draw_plain(w, "result:", width, UI_STYLE_HEADER);
    const char *p = view.result, *end = view.result + view.result_len;
    for (; y < bottom && p < end; y++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        wmove(w, y, 3);
        ui_draw_text(w, p, (size_t)((nl ? nl : end) - p), width - 2, UI_STYLE_NORMAL, false);
        p = nl ? nl + 1 : end;
    }
}

void ui_merge_view_draw(ui_pane *pane, ui_app *app)
{
    WINDOW *w = pane->win;
    int width = pane->width - 2;
    char line[300];
    (void)app;
    wmove(w, 0, 1);
    int used = ui_draw_plain(w, "MERGE ", width, UI_STYLE_BADGE);
    ui_draw_text(w, view.session->key, view.session->key_len, width - used, UI_STYLE_TITLE, true);
    snprintf(line, sizeof line, "%zu change(s) of theirs came in by themselves; %zu clash(es)",
             view.merge.merged, view.merge.nclashes);
    wmove(w, 1, 1);
    ui_draw_plain(w, line, width, UI_STYLE_HEADER);
    snprintf(line, sizeof line,
             "m mine  t theirs  j/k select  y save over theirs (cas 0x%llx)  "
             "e edit the result  Esc back",
             (unsigned long long)view.session->theirs.cas);
    wmove(w, 2, 1);
    ui_draw_plain(w, line, width, UI_STYLE_DIM);
    int clash_rows = view.merge.nclashes ? (pane->height - HEADER_ROWS) / 2 : 0;
    int y = draw_clashes(w, HEADER_ROWS, clash_rows, width);
    draw_result(w, y + (view.merge.nclashes ? 1 : 0), pane->height, width);
}

void ui_merge_view_shutdown(void)
{
    if (!view.active)
        return;
    ui_edit_session *session = take_session();
    if (!session->owner && session->file)
        fprintf(stderr, "kvtui: your unsaved edit is kept in %s\n", session->file);
    ui_edit_session_free(session);
}
