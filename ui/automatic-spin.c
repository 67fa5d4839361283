/* automatic-spin.c - a spin button whose 0 means "chosen automatically"
 * (automatic-spin.h): the dialog's Iterations.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "automatic-spin.h"

/* 0 is shown as "Automatic"... */
static gboolean
automatic_output (GtkSpinButton *spin, gpointer data)
{
  (void)data;
  if (rint (gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin)))
      != 0)
    return FALSE;

  if (strcmp (gtk_entry_get_text (GTK_ENTRY (spin)), _ ("Automatic")) != 0)
    gtk_entry_set_text (GTK_ENTRY (spin), _ ("Automatic"));
  return TRUE;
}

/* ...and read back as 0. */
static gint
automatic_input (GtkSpinButton *spin, gdouble *value, gpointer data)
{
  const gchar *text = gtk_entry_get_text (GTK_ENTRY (spin));
  gchar *end = NULL;
  gdouble number;

  (void)data;
  if (g_ascii_strcasecmp (text, _ ("Automatic")) == 0)
    {
      *value = 0.0;
      return TRUE;
    }
  number = g_strtod (text, &end);
  if (end == text)
    return GTK_INPUT_ERROR;
  *value = number;
  return TRUE;
}

void
st_automatic_spin_setup (GtkWidget *spin)
{
  gtk_entry_set_width_chars (GTK_ENTRY (spin), 10);
  /* A numeric spin button refuses letters, "Automatic" included. */
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), FALSE);
  g_signal_connect (spin, "output", G_CALLBACK (automatic_output), NULL);
  g_signal_connect (spin, "input", G_CALLBACK (automatic_input), NULL);
  gtk_spin_button_update (GTK_SPIN_BUTTON (spin));
}
