/* theme.c - what GIMP's themes need from the dialog's widgets.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "theme.h"

static void
dim_label (GtkWidget *widget, gpointer data)
{
  /* The emboss derives from the background colour: both are set. */
  GdkColor fg = { 0, 0x7000, 0x7000, 0x7000 };
  GdkColor bg = { 0, 0x3000, 0x3000, 0x3000 };

  (void)data;
  if (GTK_IS_LABEL (widget))
    {
      gtk_widget_modify_fg (widget, GTK_STATE_INSENSITIVE, &fg);
      gtk_widget_modify_bg (widget, GTK_STATE_INSENSITIVE, &bg);
    }
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_foreach (GTK_CONTAINER (widget), dim_label, NULL);
}

void
st_theme_dim_insensitive (GtkWidget *widget)
{
  dim_label (widget, NULL);
}
