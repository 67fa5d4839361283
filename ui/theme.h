/* theme.h - the dialog's look: what GIMP's themes need from its widgets,
 * and its small notes.
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

/* A note under a row of the dialog, named name: small text, wrapped,
 * aligned to the left. */
GtkWidget *st_theme_note_label (const gchar *name);

G_END_DECLS

#endif
