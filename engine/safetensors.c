/* safetensors.c - VGG19 weights from a .safetensors file: the load.
 *
 * The format (huggingface/safetensors): 8 bytes, a little-endian unsigned
 * header length N; N bytes of JSON mapping tensor names to
 *   { "dtype": "F32", "shape": [64, 3, 3, 3], "data_offsets": [begin, end] }
 * plus an optional "__metadata__" object of strings; then the raw
 * little-endian data, offsets counted from the end of the header.
 *
 * The file is read, not mapped (a mapped file that is truncated or copied
 * over while in use kills the process with SIGBUS): the 32 tensors VGG19
 * needs are read into one owned buffer of F32 (80 MB), F16 and BF16 ones
 * widened on the way.
 *
 * The file comes from the user's disk or a download, so every byte of it is
 * treated as hostile: each check below answers a malformed file with a
 * message that names the file and the problem, never with a crash.
 * The header's bytes are checked in safetensors-header.c, its tensor
 * table in safetensors-tensors.c (safetensors.h); this file opens the
 * file and reads the 32 tensors.  All three read bytes and word their
 * messages with safetensors-io.c, below them. */

#include "safetensors.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* ------------------------------------------------------ number formats */

static float
f32_from_le (const guint8 *p)
{
  guint32 bits;
  float value;

  memcpy (&bits, p, 4);
  bits = GUINT32_FROM_LE (bits);
  memcpy (&value, &bits, 4);
  return value;
}

/* IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits. */
static float
f16_from_le (const guint8 *p)
{
  guint16 h;
  guint32 sign, exponent, mantissa, bits;
  float value;

  memcpy (&h, p, 2);
  h = GUINT16_FROM_LE (h);
  sign = (guint32)(h & 0x8000u) << 16;
  exponent = (h >> 10) & 0x1fu;
  mantissa = h & 0x3ffu;

  if (exponent == 0)
    {
      /* zero or subnormal: mantissa * 2^-24, exact in float */
      value = ldexpf ((float)mantissa, -24);
      return sign ? -value : value;
    }
  if (exponent == 0x1f)
    bits = sign | 0x7f800000u | (mantissa << 13); /* Inf or NaN */
  else
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  memcpy (&value, &bits, 4);
  return value;
}

/* bfloat16 is the upper half of a float. */
static float
bf16_from_le (const guint8 *p)
{
  guint16 h;
  guint32 bits;
  float value;

  memcpy (&h, p, 2);
  bits = (guint32)GUINT16_FROM_LE (h) << 16;
  memcpy (&value, &bits, 4);
  return value;
}

/* ---------------------------------------------------------------- load */

/* The file is read, never mapped: a mapping dies with SIGBUS when the
 * file is truncated or copied over while the network is in use (an
 * update, a download finishing, another program).  Only the 32 wanted
 * tensors are read, into one owned buffer of floats (80 MB for VGG19's
 * convolutions), whatever else the file holds (a full VGG19 with its
 * classifier is 550 MB). */

/* Bytes read and widened per step for F16 and BF16. */
#define CHUNK_ELEMENTS (256u * 1024u)

/* One tensor from the file into out (info->elements floats). */
static gboolean
tensor_read (const StTensorInfo *info, int fd, guint64 data_start, float *out,
             guint8 *chunk, const char *path, GError **error)
{
  guint64 at = data_start + info->begin;

  if (info->dtype == ST_DTYPE_F32)
    {
      if (!st_safetensors_read_at (fd, at, out, info->elements * 4, path,
                                   error))
        return FALSE;
      if (G_BYTE_ORDER != G_LITTLE_ENDIAN)
        for (guint64 i = 0; i < info->elements; i++)
          out[i] = f32_from_le ((const guint8 *)(out + i));
      return TRUE;
    }
  for (guint64 done = 0; done < info->elements;)
    {
      guint64 n = MIN (info->elements - done, (guint64)CHUNK_ELEMENTS);

      if (!st_safetensors_read_at (fd, at + 2 * done, chunk, n * 2, path,
                                   error))
        return FALSE;
      for (guint64 i = 0; i < n; i++)
        out[done + i] = info->dtype == ST_DTYPE_F16
                            ? f16_from_le (chunk + 2 * i)
                            : bf16_from_le (chunk + 2 * i);
      done += n;
    }
  return TRUE;
}

/* A NaN weight poisons every pixel; better said at load than found as a
 * NaN loss after a minute of work. */
static gboolean
finite_check (const float *values, guint64 n, const char *name, int conv,
              const char *path, GError **error)
{
  for (guint64 i = 0; i < n; i++)
    if (!isfinite (values[i]))
      {
        st_safetensors_error (
            error, ST_ERROR_FORMAT, path,
            "tensor “%s” (%s) holds %s at element %" G_GUINT64_FORMAT, name,
            st_vgg19_layer_name[conv],
            isnan (values[i]) ? "NaN" : "an infinite value", i);
        return FALSE;
      }
  return TRUE;
}

/* The 32 tensors in wanted, read into one owned buffer of total floats:
 * weights->converted, which weight[] and bias[] point into. */
static gboolean
weights_read (StVgg19Weights *weights, const StTensorInfo *wanted,
              guint64 total, int fd, guint64 data_start, GError **error)
{
  const char *path = weights->path;
  guint8 *chunk;
  float *next;
  gboolean ok = FALSE;

  weights->converted = g_try_new (float, total);
  chunk = g_try_malloc (2 * CHUNK_ELEMENTS);
  if (weights->converted == NULL || chunk == NULL)
    {
      st_safetensors_error (
          error, ST_ERROR_MEMORY, path,
          "out of memory: no room for %" G_GUINT64_FORMAT " weights", total);
      goto out;
    }

  next = weights->converted;
  for (int i = 0; i < ST_SAFETENSORS_WANTED; i++)
    {
      const StTensorInfo *info = &wanted[i];
      int conv = i / 2;

      if (!tensor_read (info, fd, data_start, next, chunk, path, error)
          || !finite_check (next, info->elements, info->name, conv, path,
                            error))
        goto out;
      if (i % 2)
        weights->bias[conv] = next;
      else
        weights->weight[conv] = next;
      next += info->elements;
    }

  for (int i = 0; i < ST_VGG19_N_CONV; i++)
    {
      weights->c_in[i] = st_vgg19_c_in[i];
      weights->c_out[i] = st_vgg19_c_out[i];
    }
  ok = TRUE;

out:
  g_free (chunk);
  return ok;
}

/* Opened without blocking (a FIFO would wait for a writer), then the
 * opened file itself is checked: no window between a check on the name
 * and the open.  -1 with error set when it is not a readable regular
 * file. */
static int
file_open (const char *path, guint64 *length, GError **error)
{
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);

  if (fd < 0)
    {
      int saved = errno;
      st_safetensors_error (error, ST_ERROR_IO, path, "%s", g_strerror (saved));
      return -1;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      st_safetensors_error (error, ST_ERROR_IO, path, "not a regular file");
      close (fd);
      return -1;
    }
  *length = (guint64)st.st_size;
  return fd;
}

StVgg19Weights *
st_vgg19_weights_load (const char *path, GError **error)
{
  StVgg19Weights *weights;
  StTensorInfo wanted[ST_SAFETENSORS_WANTED];
  JsonParser *parser = NULL;
  guint64 length, data_start, total;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((fd = file_open (path, &length, error)) < 0)
    return NULL;
  weights = g_try_new0 (StVgg19Weights, 1);
  if (weights == NULL)
    {
      close (fd);
      st_safetensors_error (error, ST_ERROR_MEMORY, path, "out of memory");
      return NULL;
    }
  weights->path = g_strdup (path);

  parser = st_safetensors_header (fd, length, path, &data_start, error);
  ok = parser != NULL
       && st_safetensors_tensors (
           json_node_get_object (json_parser_get_root (parser)),
           length - data_start, wanted, &weights->preprocess, &total, path,
           error)
       && weights_read (weights, wanted, total, fd, data_start, error);

  if (parser != NULL)
    g_object_unref (parser);
  close (fd);
  if (!ok)
    {
      st_vgg19_weights_free (weights);
      return NULL;
    }
  return weights;
}

void
st_vgg19_weights_free (StVgg19Weights *weights)
{
  if (weights == NULL)
    return;
  g_free (weights->converted);
  g_free (weights->path);
  g_free (weights);
}
