/* What every pane shares: its window's place on the screen. */
#include "pane.h"

void ui_pane_place(ui_pane *pane, int y, int x, int height, int width)
{
    if (height < 1)
        height = 1;
    if (width < 1)
        width = 1;
    pane->y = y;
    pane->x = x;
    pane->height = height;
    pane->width = width;
    if (pane->win)
        delwin(pane->win);
    pane->win = newwin(height, width, y, x);
}

void ui_pane_destroy(ui_pane *pane)
{
    if (pane->ops && pane->ops->free)
        pane->ops->free(pane);
    if (pane->win)
        delwin(pane->win);
    pane->win = NULL;
}

bool ui_pane_contains(const ui_pane *pane, int y, int x)
{
    return y >= pane->y && y < pane->y + pane->height && x >= pane->x &&
           x < pane->x + pane->width;
}
