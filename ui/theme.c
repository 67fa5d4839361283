/* theme.c - the dialog's look (theme.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

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

GtkWidget *
st_theme_note_label (const gchar *name)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_name (label, name);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_SCALE,
                             PANGO_SCALE_SMALL, -1);
  return label;
}
