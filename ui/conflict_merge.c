/* The merge choice of the conflict view (in progress: the 3-way merge comes with ui/merge3). */
#include "editor_internal.h"

void ui_conflict_merge(ui_app *app, ui_edit_session *session)
{
    (void)session;
    ui_status_log(app, UI_LOG_ERROR,
                  "NotSupportedError: merge is not built yet; o, t or e resolve the conflict");
}

bool ui_merge_view_active(void)
{
    return false;
}

unsigned ui_merge_view_key(ui_app *app, const ui_key *key)
{
    (void)app;
    (void)key;
    return UI_KEY_UNHANDLED;
}

void ui_merge_view_draw(ui_pane *pane, ui_app *app)
{
    (void)pane;
    (void)app;
}
