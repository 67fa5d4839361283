/* automatic-spin.h - a spin button whose 0 means "chosen automatically":
 * it shows 0 as "Automatic" and reads that word back as 0.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_UI_AUTOMATIC_SPIN_H
#define ST_UI_AUTOMATIC_SPIN_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Makes spin show and read 0 as "Automatic" (translated). */
void st_automatic_spin_setup (GtkWidget *spin);

G_END_DECLS

#endif
