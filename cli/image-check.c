/* image-check.c - an image file's format, declared size and completeness,
 * from its own bytes (see image-check.h).
 *
 * Copyright (C) 2024 the GIMP Style Transfer authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "image-check.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#define CHECK_ERROR (g_quark_from_static_string ("st-image-check"))
#define TRUNCATED "the file ends before the image does (truncated)"

/* Reads exactly n bytes at offset; FALSE at the end of the file or on an
 * error (errno then says which; 0 for the end). */
static gboolean
read_at (int fd, void *buf, size_t n, gint64 offset)
{
  size_t got = 0;

  while (got < n)
    {
      ssize_t k = pread (fd, (char *)buf + got, n - got, (off_t)offset + got);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        {
          if (k == 0)
            errno = 0;
          return FALSE;
        }
      got += (size_t)k;
    }
  return TRUE;
}

static guint32
be32 (const guchar *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static guint
be16 (const guchar *p)
{
  return (guint)p[0] << 8 | p[1];
}

static int
clamp_side (guint32 v)
{
  return v > G_MAXINT ? G_MAXINT : (int)v;
}

/* The JPEG's first frame header (SOF0 to SOF15 but DHT, JPG and DAC). */
static void
jpeg_header (int fd, StImageInfo *info)
{
  gint64 pos = 2;

  for (int segments = 0; segments < 10000; segments++)
    {
      guchar m[2], seg[7];

      if (!read_at (fd, m, 2, pos) || m[0] != 0xff)
        return;
      if (m[1] == 0xff)
        {
          pos++; /* fill byte */
          continue;
        }
      pos += 2;
      if (m[1] == 0x01 || (m[1] >= 0xd0 && m[1] <= 0xd8))
        continue; /* no length */
      if (m[1] == 0xd9 || m[1] == 0xda)
        return; /* the end, or a scan before any frame header */
      if (!read_at (fd, seg, 2, pos))
        return;
      if (m[1] >= 0xc0 && m[1] <= 0xcf && m[1] != 0xc4 && m[1] != 0xc8
          && m[1] != 0xcc)
        {
          if (!read_at (fd, seg, 7, pos))
            return;
          info->bytes_per_sample = seg[2] > 8 ? 2 : 1;
          info->height = (int)be16 (seg + 3);
          info->width = (int)be16 (seg + 5);
          return;
        }
      pos += be16 (seg);
    }
}

void
st_image_header (int fd, StImageInfo *info)
{
  guchar h[32];

  memset (info, 0, sizeof *info);
  info->end = -1;
  info->bytes_per_sample = 1;
  memset (h, 0, sizeof h);
  if (pread (fd, h, sizeof h, 0) < 4)
    return;
  if (memcmp (h, "\x89PNG\r\n\x1a\n", 8) == 0)
    {
      info->kind = ST_IMAGE_PNG;
      if (memcmp (h + 12, "IHDR", 4) == 0)
        {
          info->width = clamp_side (be32 (h + 16));
          info->height = clamp_side (be32 (h + 20));
          info->bytes_per_sample = h[24] > 8 ? 2 : 1;
        }
    }
  else if (h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
    {
      info->kind = ST_IMAGE_JPEG;
      jpeg_header (fd, info);
    }
  else if (memcmp (h, "gimp xcf ", 9) == 0)
    {
      /* "gimp xcf " and a five-byte version, then width and height; the
       * precision (8-bit to 32-bit float) is further on: count 4 bytes */
      info->kind = ST_IMAGE_XCF;
      info->width = clamp_side (be32 (h + 14));
      info->height = clamp_side (be32 (h + 18));
      info->bytes_per_sample = 4;
    }
  else if (memcmp (h, "8BPS", 4) == 0)
    {
      info->kind = ST_IMAGE_PSD;
      info->height = clamp_side (be32 (h + 14));
      info->width = clamp_side (be32 (h + 18));
      info->bytes_per_sample = be16 (h + 22) > 8 ? (be16 (h + 22) + 7) / 8 : 1;
    }
}

/* --------------------------------------------------------------- PNG */

typedef struct
{
  int fd;
  gint64 pos;
  gboolean whole; /* message is a whole sentence, not libpng's words */
  char message[200];
} PngCtx;

static void
png_fail (png_structp png, png_const_charp message)
{
  PngCtx *c = png_get_error_ptr (png);

  g_strlcpy (c->message, message, sizeof c->message);
  png_longjmp (png, 1);
}

static void
png_quiet (png_structp png, png_const_charp message)
{
  (void)png;
  (void)message;
}

static void
png_read_fd (png_structp png, png_bytep data, size_t n)
{
  PngCtx *c = png_get_io_ptr (png);

  if (!read_at (c->fd, data, n, c->pos))
    {
      c->whole = TRUE;
      if (errno)
        png_error (png, g_strerror (errno));
      png_error (png, TRUNCATED);
    }
  c->pos += (gint64)n;
}

static gboolean
verify_png (int fd, StImageInfo *info, GError **error)
{
  PngCtx c = { fd, 0, FALSE, "" };
  png_structp png
      = png_create_read_struct (PNG_LIBPNG_VER_STRING, &c, png_fail, png_quiet);
  png_infop pinfo = png ? png_create_info_struct (png) : NULL;
  png_bytep volatile row = NULL;
  gboolean ok = FALSE;

  if (!pinfo)
    {
      g_set_error_literal (error, CHECK_ERROR, 0, "out of memory");
      png_destroy_read_struct (png ? &png : NULL, NULL, NULL);
      return FALSE;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      if (c.whole)
        g_set_error_literal (error, CHECK_ERROR, 0, c.message);
      else
        g_set_error (error, CHECK_ERROR, 0,
                     "the PNG data is corrupt (%s): the image is incomplete",
                     c.message);
      goto out;
    }
  png_set_read_fn (png, &c, png_read_fd);
  png_read_info (png, pinfo);
  {
    png_uint_32 h = png_get_image_height (png, pinfo);
    int passes = png_set_interlace_handling (png);
    size_t rowbytes;

    png_read_update_info (png, pinfo);
    rowbytes = png_get_rowbytes (png, pinfo);
    row = g_try_malloc (MAX (rowbytes, 1));
    if (!row)
      png_error (png, "no memory for one row");
    for (int p = 0; p < passes; p++)
      for (png_uint_32 y = 0; y < h; y++)
        png_read_row (png, row, NULL);
    png_read_end (png, NULL);
  }
  info->end = c.pos;
  ok = TRUE;
out:
  g_free (row);
  png_destroy_read_struct (&png, &pinfo, NULL);
  return ok;
}

/* -------------------------------------------------------------- JPEG */

typedef struct
{
  struct jpeg_error_mgr err;
  struct jpeg_source_mgr src;
  struct jpeg_progress_mgr progress;
  jmp_buf jmp;
  int fd;
  gint64 pos; /* of the next byte to read into the buffer */
  JOCTET buffer[65536];
  gboolean whole; /* message is a whole sentence, not libjpeg's words */
  char message[JMSG_LENGTH_MAX + 64];
} JpegCtx;

static void
jpeg_fail (j_common_ptr cinfo)
{
  JpegCtx *c = (JpegCtx *)cinfo->err;

  if (!c->message[0])
    (*cinfo->err->format_message) (cinfo, c->message);
  longjmp (c->jmp, 1);
}

/* libjpeg's warnings for data that is missing or cannot be decoded: the
 * decoder goes on and fills the rest with grey.  Here they are errors. */
static void
jpeg_message (j_common_ptr cinfo, int level)
{
  JpegCtx *c = (JpegCtx *)cinfo->err;
  int code = cinfo->err->msg_code;

  if (level >= 0)
    return;
  if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER
      || code == JWRN_MUST_RESYNC || code == JWRN_HUFF_BAD_CODE)
    {
      if (code == JWRN_JPEG_EOF)
        {
          g_strlcpy (c->message, TRUNCATED, sizeof c->message);
          c->whole = TRUE;
        }
      else
        (*cinfo->err->format_message) (cinfo, c->message);
      longjmp (c->jmp, 1);
    }
}

static void
jpeg_progress (j_common_ptr cinfo)
{
  JpegCtx *c = (JpegCtx *)cinfo->err;
  j_decompress_ptr d = (j_decompress_ptr)cinfo;

  if (d->input_scan_number > ST_IMAGE_MAX_SCANS)
    {
      g_snprintf (c->message, sizeof c->message,
                  "the JPEG has more than %d scans (a real one has about "
                  "ten): refused as corrupt or hostile",
                  ST_IMAGE_MAX_SCANS);
      c->whole = TRUE;
      longjmp (c->jmp, 1);
    }
}

static void
src_init (j_decompress_ptr cinfo)
{
  (void)cinfo;
}

static boolean
src_fill (j_decompress_ptr cinfo)
{
  JpegCtx *c = (JpegCtx *)cinfo->err;
  ssize_t n;

  do
    n = pread (c->fd, c->buffer, sizeof c->buffer, (off_t)c->pos);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      g_strlcpy (c->message, g_strerror (errno), sizeof c->message);
      c->whole = TRUE;
      longjmp (c->jmp, 1);
    }
  if (n == 0)
    {
      /* as libjpeg's own sources do: warn, then a fake end marker */
      WARNMS (cinfo, JWRN_JPEG_EOF);
      c->buffer[0] = 0xff;
      c->buffer[1] = JPEG_EOI;
      n = 2;
    }
  else
    c->pos += n;
  c->src.next_input_byte = c->buffer;
  c->src.bytes_in_buffer = (size_t)n;
  return TRUE;
}

static void
src_skip (j_decompress_ptr cinfo, long n)
{
  JpegCtx *c = (JpegCtx *)cinfo->err;

  if (n <= 0)
    return;
  if ((size_t)n <= c->src.bytes_in_buffer)
    {
      c->src.next_input_byte += n;
      c->src.bytes_in_buffer -= (size_t)n;
      return;
    }
  c->pos += n - (long)c->src.bytes_in_buffer;
  c->src.bytes_in_buffer = 0;
}

static void
src_term (j_decompress_ptr cinfo)
{
  (void)cinfo;
}

static gboolean
verify_jpeg (int fd, StImageInfo *info, GError **error)
{
  struct jpeg_decompress_struct d;
  JpegCtx *c = g_try_new0 (JpegCtx, 1);
  JSAMPARRAY volatile rows = NULL;
  gboolean ok = FALSE;

  if (!c)
    {
      g_set_error_literal (error, CHECK_ERROR, 0, "out of memory");
      return FALSE;
    }
  c->fd = fd;
  d.err = jpeg_std_error (&c->err);
  c->err.error_exit = jpeg_fail;
  c->err.emit_message = jpeg_message;
  jpeg_create_decompress (&d);
  if (setjmp (c->jmp))
    {
      if (c->whole)
        g_set_error_literal (error, CHECK_ERROR, 0, c->message);
      else
        g_set_error (error, CHECK_ERROR, 0,
                     "the JPEG data is corrupt (%s): the image is incomplete",
                     c->message);
      goto out;
    }
  c->src.init_source = src_init;
  c->src.fill_input_buffer = src_fill;
  c->src.skip_input_data = src_skip;
  c->src.resync_to_restart = jpeg_resync_to_restart;
  c->src.term_source = src_term;
  d.src = &c->src;
  c->progress.progress_monitor = jpeg_progress;
  d.progress = &c->progress;
  if (jpeg_read_header (&d, TRUE) != JPEG_HEADER_OK)
    {
      g_strlcpy (c->message, "the JPEG holds no image", sizeof c->message);
      c->whole = TRUE;
      longjmp (c->jmp, 1);
    }
  /* every coefficient is decoded; 1/8 only spares the inverse DCTs */
  d.scale_num = 1;
  d.scale_denom = 8;
  d.do_fancy_upsampling = FALSE;
  d.dct_method = JDCT_IFAST;
  jpeg_start_decompress (&d);
  rows = (*d.mem->alloc_sarray) ((j_common_ptr)&d, JPOOL_IMAGE,
                                 d.output_width * d.output_components,
                                 MAX (d.rec_outbuf_height, 1));
  while (d.output_scanline < d.output_height)
    jpeg_read_scanlines (&d, rows, MAX (d.rec_outbuf_height, 1));
  jpeg_finish_decompress (&d);
  info->end = c->pos - (gint64)c->src.bytes_in_buffer;
  ok = TRUE;
out:
  jpeg_destroy_decompress (&d);
  g_free (c);
  return ok;
}

gboolean
st_image_verify (int fd, StImageInfo *info, GError **error)
{
  if (info->kind == ST_IMAGE_PNG)
    return verify_png (fd, info, error);
  if (info->kind == ST_IMAGE_JPEG)
    return verify_jpeg (fd, info, error);
  return TRUE;
}
