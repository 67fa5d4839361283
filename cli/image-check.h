/* image-check.h - what an image file holds, read from its own bytes before
 * a decoder is given it: the command line (gdk-pixbuf) and the plug-in
 * (GIMP's loaders) both ask here first (issue 20).
 *
 *   - st_image_header: the format and the declared size, from the first
 *     bytes (PNG IHDR, JPEG SOF, XCF and PSD headers), so that a small file
 *     declaring 60000 x 60000 pixels is refused by the memory budget before
 *     any decoder allocates them;
 *   - st_image_verify: for PNG and JPEG, a decode of every row into one
 *     row's buffer (libpng, libjpeg at 1/8), so that a file cut short, an
 *     end marker planted in the middle, corrupt compressed data or a
 *     progressive JPEG with thousands of scans is an error, not an image
 *     with a grey part; and where the image ends, so that data after it is
 *     never read.
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef ST_IMAGE_CHECK_H
#define ST_IMAGE_CHECK_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ST_IMAGE_UNKNOWN, /* none of those below: a decoder's own judgement */
  ST_IMAGE_PNG,
  ST_IMAGE_JPEG,
  ST_IMAGE_XCF,
  ST_IMAGE_PSD
} StImageKind;

typedef struct
{
  StImageKind kind;
  int width, height;    /* as declared; 0 when not known              */
  int bytes_per_sample; /* 1, 2 (16-bit PNG or PSD) or 4 (XCF: unknown) */
  gint64 end;           /* bytes of the file that belong to the image,
                           after st_image_verify; -1 when not known   */
} StImageInfo;

/* A progressive JPEG with more scans than this is refused: real files
 * have about ten; each scan is a pass over the whole image. */
#define ST_IMAGE_MAX_SCANS 500

/* The format and declared size from the first bytes of the file open on
 * fd (read with pread: the offset is not moved).  Never fails: what it
 * cannot tell is left unknown. */
void st_image_header (int fd, StImageInfo *info);

/* For a PNG or a JPEG: the whole file decoded, row by row into one row's
 * buffer (no image-sized allocation).  FALSE with a message (without the
 * file's name: "the file ends before the image does (truncated)") when a
 * decoder would stop early or fill in missing data.  Sets info->end.
 * TRUE for other kinds, which are not verified. */
gboolean st_image_verify (int fd, StImageInfo *info, GError **error);

G_END_DECLS

#endif
