/* theme.h - what GIMP's themes need from the dialog's widgets.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_THEME_H
#define ST_UI_THEME_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Dims the labels inside widget (or widget itself, a label) when they are
 * insensitive.  GIMP's Dark theme draws an insensitive label embossed, in
 * a grey close to the normal one, so that a disabled button looks bold. */
void st_theme_dim_insensitive (GtkWidget *widget);

G_END_DECLS

#endif
