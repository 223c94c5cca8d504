/* The status pane: the newest operations with their results, CAS and latency; errors stand out. */
#include <string.h>

#include "app.h"
#include "draw_text.h"

static void status_draw(ui_pane *pane, ui_app *app)
{
    WINDOW *w = pane->win;
    werase(w);
    wattrset(w, ui_style_attr(UI_STYLE_DIM));
    whline(w, ACS_HLINE, pane->width);
    int rows = pane->height - 1;
    size_t shown = app->log.count < (size_t)rows ? app->log.count : (size_t)rows;
    for (size_t i = 0; i < shown; i++) {
        /* Oldest of the shown lines first, newest at the bottom. */
        size_t back = shown - i;
        const ui_log_line *line =
            &app->log.lines[(app->log.next + UI_LOG_LINES - back) % UI_LOG_LINES];
        ui_style style = line->level == UI_LOG_ERROR ? UI_STYLE_ERROR
                         : line->level == UI_LOG_OK  ? UI_STYLE_OK
                                                     : UI_STYLE_NORMAL;
        wmove(w, 1 + (int)i, 1);
        ui_draw_text(w, line->text, strlen(line->text), pane->width - 2, style, true);
    }
    wnoutrefresh(w);
}

static const ui_pane_ops STATUS_OPS = {
    .name = "status", .draw = status_draw, .action = NULL, .key = NULL, .click = NULL, .free = NULL,
};

void ui_pane_status_init(ui_pane *pane)
{
    pane->ops = &STATUS_OPS;
}
