/* safetensors.c - VGG19 weights from a .safetensors file.
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
 * widened on the way; StVgg19Weights.map stays NULL.
 *
 * The file comes from the user's disk or a download, so every byte of it is
 * treated as hostile: each check below answers a malformed file with a
 * message that names the file and the problem, never with a crash.
 */

#include "internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/* Real headers are a few kilobytes (a large language model's is a few
 * megabytes); a length beyond this is corruption, not a network. */
#define HEADER_MAX_BYTES (100u * 1000u * 1000u)
/* json-glib parses recursively and overflows the stack on deep nesting
 * (a 100,000-deep "[[[[..." crashes it), and builds a node per value
 * (~100 bytes each): both are bounded before the parser sees the text.
 * A valid header nests three deep. */
#define HEADER_MAX_DEPTH 64
#define HEADER_MAX_VALUES 2000000
/* No tensor this engine reads has more than 4 dimensions; extra tensors
 * may have more, but not absurdly many. */
#define SHAPE_MAX_RANK 64
/* Longest problem text in a message, in bytes (names are the file's). */
#define MESSAGE_MAX_BYTES 400

/* -------------------------------------------------------------- types */

typedef enum
{
  DTYPE_F32,
  DTYPE_F16,
  DTYPE_BF16,
  DTYPE_OTHER /* any other safetensors dtype: fine in an extra tensor */
} Dtype;

typedef struct
{
  const char *name; /* owned by the JSON tree */
  Dtype dtype;
  const char *dtype_name;
  guint64 elements;
  int rank;
  guint64 shape[4];   /* the first 4 dimensions */
  guint64 begin, end; /* bytes, from the start of the data */
} TensorInfo;

typedef struct
{
  guint64 begin, end;
  const char *name;
} Span;

/* ------------------------------------------------------------- errors */

static void set_error (GError **error, int code, const char *path,
                       const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Every message starts with the file, so that a front end can show it as
 * is and the user knows which file to replace. */
static void
set_error (GError **error, int code, const char *path, const char *format, ...)
{
  va_list args;
  char *problem, *display;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);
  /* Names and json-glib's messages quote the file's own bytes: a hostile
   * file must not put line breaks or terminal escapes into a message
   * that front ends print as one line. */
  for (char *c = problem; *c; c++)
    if ((guchar)*c < 0x20 || *c == 0x7f)
      *c = ' ';
  if (!g_utf8_validate (problem, -1, NULL))
    {
      char *valid = g_utf8_make_valid (problem, -1);
      g_free (problem);
      problem = valid;
    }
  /* A tensor name can be megabytes long: keep the message's start and
   * its end, which says what is wrong (issue 13). */
  if (strlen (problem) > MESSAGE_MAX_BYTES)
    {
      const char *head_end = problem + MESSAGE_MAX_BYTES * 3 / 4;
      const char *tail = problem + strlen (problem) - MESSAGE_MAX_BYTES / 4;
      char *bounded;

      while ((*head_end & 0xc0) == 0x80)
        head_end--;
      while ((*tail & 0xc0) == 0x80)
        tail++;
      bounded = g_strdup_printf ("%.*s … %s", (int)(head_end - problem),
                                 problem, tail);
      g_free (problem);
      problem = bounded;
    }
  display = g_filename_display_name (path);
  g_set_error (error, ST_ERROR, code, "%s: %s", display, problem);
  g_free (display);
  g_free (problem);
}

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

static Dtype
dtype_parse (const char *name, guint64 *size)
{
  static const struct
  {
    const char *name;
    guint64 size;
  } others[] = {
    { "F64", 8 }, { "I64", 8 },  { "U64", 8 },     { "I32", 4 },
    { "U32", 4 }, { "I16", 2 },  { "U16", 2 },     { "I8", 1 },
    { "U8", 1 },  { "BOOL", 1 }, { "F8_E4M3", 1 }, { "F8_E5M2", 1 },
  };

  if (strcmp (name, "F32") == 0)
    {
      *size = 4;
      return DTYPE_F32;
    }
  if (strcmp (name, "F16") == 0 || strcmp (name, "BF16") == 0)
    {
      *size = 2;
      return name[0] == 'F' ? DTYPE_F16 : DTYPE_BF16;
    }
  *size = 0; /* unknown: the size check is skipped for extra tensors */
  for (size_t i = 0; i < G_N_ELEMENTS (others); i++)
    if (strcmp (name, others[i].name) == 0)
      *size = others[i].size;
  return DTYPE_OTHER;
}

/* ------------------------------------------------------------- header */

/* Bounds what json-glib will be asked to build (see HEADER_MAX_DEPTH).
 *
 * The header is JSON, and JSON alone is accepted: json-glib's scanner also
 * takes comments, single-quoted strings and identifiers, and structure
 * hidden from a scan that only knows "..." strings (a '"' inside a
 * comment, say) would still reach its recursion.  So outside strings only
 * JSON's own characters may appear: whitespace, the six structural
 * characters, numbers and the letters of true, false and null.  With that
 * the scan below sees exactly the structure the parser will see, and its
 * depth count is the parser's depth.  Inside strings, control characters
 * (which JSON forbids) and a NUL byte (where the parser would stop
 * silently) are refused too. */
static gboolean
header_prescan (const char *text, gsize length, const char *path,
                GError **error)
{
  gboolean in_string = FALSE, escaped = FALSE;
  int depth = 0;
  guint64 values = 0;

  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar)text[i];

      if (c == '\0')
        {
          set_error (error, ST_ERROR_FORMAT, path,
                     "the header contains a NUL byte at %" G_GSIZE_FORMAT, i);
          return FALSE;
        }
      if (in_string)
        {
          if (c < 0x20)
            {
              set_error (error, ST_ERROR_FORMAT, path,
                         "the JSON header has a control character (0x%02x) "
                         "inside a string at byte %" G_GSIZE_FORMAT,
                         c, i);
              return FALSE;
            }
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          values++;
          break;
        case '[':
        case '{':
          if (++depth > HEADER_MAX_DEPTH)
            {
              set_error (error, ST_ERROR_FORMAT, path,
                         "the JSON header nests deeper than %d levels",
                         HEADER_MAX_DEPTH);
              return FALSE;
            }
          values++;
          break;
        case ']':
        case '}':
          depth--;
          break;
        case ',':
          values++;
          break;
        case ' ': case '\t': case '\n': case '\r': case ':':
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
        case '-': case '+': case '.': case 'e': case 'E':
        /* true, false, null */
        case 't': case 'r': case 'u': case 'f': case 'a': case 'l':
        case 's': case 'n':
          break;
        default:
          {
            char shown[16];

            if (c > 0x20 && c < 0x7f)
              g_snprintf (shown, sizeof shown, "“%c”", c);
            else
              g_snprintf (shown, sizeof shown, "byte 0x%02x", c);
            set_error (error, ST_ERROR_FORMAT, path,
                       "the header is not plain JSON: %s at byte "
                       "%" G_GSIZE_FORMAT " (comments, single quotes and "
                       "other extensions are not allowed)",
                       shown, i);
            return FALSE;
          }
        }
      if (values > HEADER_MAX_VALUES)
        {
          set_error (error, ST_ERROR_FORMAT, path,
                     "the JSON header has more than %d values",
                     HEADER_MAX_VALUES);
          return FALSE;
        }
    }
  return TRUE;
}

/* json-glib keeps integers as gint64 and anything with a '.' or an
 * exponent as a double; offsets and dimensions must be the former. */
static gboolean
node_get_count (JsonNode *node, guint64 *value)
{
  gint64 v;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *value = (guint64)v;
  return TRUE;
}

/* Checks one entry of the header against itself and the data's length. */
static gboolean
tensor_parse (const char *name, JsonNode *node, guint64 data_length,
              TensorInfo *info, const char *path, GError **error)
{
  JsonObject *object;
  JsonNode *dtype_node;
  JsonArray *shape, *offsets;
  guint64 element_size;
  guint n;

  memset (info, 0, sizeof *info);
  info->name = name;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s” is not a JSON object", name);
      return FALSE;
    }
  object = json_node_get_object (node);

  dtype_node = json_object_get_member (object, "dtype");
  if (dtype_node == NULL || JSON_NODE_TYPE (dtype_node) != JSON_NODE_VALUE
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s” has no \"dtype\" string", name);
      return FALSE;
    }
  info->dtype_name = json_node_get_string (dtype_node);
  info->dtype = dtype_parse (info->dtype_name, &element_size);

  if (!json_object_has_member (object, "shape")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "shape")))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s” has no \"shape\" array", name);
      return FALSE;
    }
  shape = json_object_get_array_member (object, "shape");
  n = json_array_get_length (shape);
  if (n > SHAPE_MAX_RANK)
    {
      set_error (error, ST_ERROR_FORMAT, path, "tensor “%s” has %u dimensions",
                 name, n);
      return FALSE;
    }
  info->rank = (int)n;
  info->elements = 1;
  for (guint i = 0; i < n; i++)
    {
      guint64 dim;

      if (!node_get_count (json_array_get_element (shape, i), &dim))
        {
          set_error (error, ST_ERROR_FORMAT, path,
                     "tensor “%s”: shape[%u] is not a non-negative integer",
                     name, i);
          return FALSE;
        }
      if (i < 4)
        info->shape[i] = dim;
      /* saturate rather than wrap: a huge count fails the size check
         below, a wrapped one might pass it */
      if (dim != 0 && info->elements > G_MAXUINT64 / dim)
        info->elements = G_MAXUINT64;
      else
        info->elements *= dim;
    }

  if (!json_object_has_member (object, "data_offsets")
      || !JSON_NODE_HOLDS_ARRAY (
          json_object_get_member (object, "data_offsets")))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s” has no \"data_offsets\" array", name);
      return FALSE;
    }
  offsets = json_object_get_array_member (object, "data_offsets");
  if (json_array_get_length (offsets) != 2
      || !node_get_count (json_array_get_element (offsets, 0), &info->begin)
      || !node_get_count (json_array_get_element (offsets, 1), &info->end))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s”: data_offsets is not [begin, end] with "
                 "non-negative integers",
                 name);
      return FALSE;
    }
  if (info->begin > info->end)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s”: data_offsets begin %" G_GUINT64_FORMAT
                 " is after end %" G_GUINT64_FORMAT,
                 name, info->begin, info->end);
      return FALSE;
    }
  if (info->end > data_length)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s” ends at byte %" G_GUINT64_FORMAT
                 " of the data, past its end (%" G_GUINT64_FORMAT
                 " bytes): the file is truncated or corrupt",
                 name, info->end, data_length);
      return FALSE;
    }
  if (element_size != 0
      && (info->elements > data_length
          || info->elements * element_size != info->end - info->begin))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s”: %" G_GUINT64_FORMAT " bytes of data do not "
                 "hold its shape in %s",
                 name, info->end - info->begin, info->dtype_name);
      return FALSE;
    }
  return TRUE;
}

static int
span_compare (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;

  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* Two tensors sharing bytes is how a crafted file makes one write (in a
 * future writer) or one check see other data than another; refuse it. */
static gboolean
spans_check (GArray *spans, const char *path, GError **error)
{
  g_array_sort (spans, span_compare);
  for (guint i = 1; i < spans->len; i++)
    {
      const Span *prev = &g_array_index (spans, Span, i - 1);
      const Span *next = &g_array_index (spans, Span, i);

      if (next->begin < prev->end)
        {
          set_error (error, ST_ERROR_FORMAT, path,
                     "tensors “%s” and “%s” overlap in the data", prev->name,
                     next->name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
metadata_parse (JsonNode *node, StPreprocess *preprocess, const char *path,
                GError **error)
{
  JsonObject *metadata;
  JsonNode *value;
  const char *kind;

  *preprocess = ST_PREPROCESS_TORCH; /* torchvision's files carry none */
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "\"__metadata__\" is not a JSON object");
      return FALSE;
    }
  metadata = json_node_get_object (node);
  value = json_object_get_member (metadata, "preprocess");
  if (value == NULL)
    return TRUE;
  if (JSON_NODE_TYPE (value) != JSON_NODE_VALUE
      || json_node_get_value_type (value) != G_TYPE_STRING)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "__metadata__.preprocess is not a string");
      return FALSE;
    }
  kind = json_node_get_string (value);
  if (strcmp (kind, "torch") == 0)
    *preprocess = ST_PREPROCESS_TORCH;
  else if (strcmp (kind, "caffe") == 0)
    *preprocess = ST_PREPROCESS_CAFFE;
  else
    {
      /* guessing would silently give wrong colours */
      set_error (error, ST_ERROR_FORMAT, path,
                 "unknown __metadata__.preprocess “%s” "
                 "(expected \"caffe\" or \"torch\")",
                 kind);
      return FALSE;
    }
  return TRUE;
}

/* Which of the 32 wanted tensors a name is: 2 * conv + (bias ? 1 : 0),
 * or -1. */
static int
wanted_slot (const char *name)
{
  char expected[32];

  if (!g_str_has_prefix (name, "features."))
    return -1;
  for (int i = 0; i < ST_VGG19_N_CONV; i++)
    {
      g_snprintf (expected, sizeof expected, "features.%d.weight",
                  st_vgg19_feature_index[i]);
      if (strcmp (name, expected) == 0)
        return 2 * i;
      g_snprintf (expected, sizeof expected, "features.%d.bias",
                  st_vgg19_feature_index[i]);
      if (strcmp (name, expected) == 0)
        return 2 * i + 1;
    }
  return -1;
}

static gboolean
shape_check (const TensorInfo *info, int conv, gboolean bias, const char *path,
             GError **error)
{
  guint64 c_out = (guint64)st_vgg19_c_out[conv];
  guint64 c_in = (guint64)st_vgg19_c_in[conv];
  gboolean ok;

  if (info->dtype == DTYPE_OTHER)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "tensor “%s” (%s) is %s; only F32, F16 and BF16 are read",
                 info->name, st_vgg19_layer_name[conv], info->dtype_name);
      return FALSE;
    }
  if (bias)
    ok = info->rank == 1 && info->shape[0] == c_out;
  else
    ok = info->rank == 4 && info->shape[0] == c_out && info->shape[1] == c_in
         && info->shape[2] == 3 && info->shape[3] == 3;
  if (!ok)
    {
      GString *got = g_string_new ("[");

      for (int i = 0; i < info->rank && i < 4; i++)
        g_string_append_printf (got, "%s%" G_GUINT64_FORMAT, i ? ", " : "",
                                info->shape[i]);
      g_string_append (got, info->rank > 4 ? ", ...]" : "]");
      if (bias)
        set_error (error, ST_ERROR_FORMAT, path,
                   "tensor “%s” (%s) has shape %s; VGG19 needs [%d]",
                   info->name, st_vgg19_layer_name[conv], got->str,
                   st_vgg19_c_out[conv]);
      else
        set_error (error, ST_ERROR_FORMAT, path,
                   "tensor “%s” (%s) has shape %s; VGG19 needs "
                   "[%d, %d, 3, 3]",
                   info->name, st_vgg19_layer_name[conv], got->str,
                   st_vgg19_c_out[conv], st_vgg19_c_in[conv]);
      g_string_free (got, TRUE);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- load */

/* The file is read, never mapped: a mapping dies with SIGBUS when the
 * file is truncated or copied over while the network is in use (an
 * update, a download finishing, another program).  Only the 32 wanted
 * tensors are read, into one owned buffer of floats (80 MB for VGG19's
 * convolutions), whatever else the file holds (a full VGG19 with its
 * classifier is 550 MB). */

/* Reads exactly n bytes at offset `at`; a short read means the file
 * shrank since it was measured. */
static gboolean
read_at (int fd, guint64 at, void *buffer, gsize n, const char *path,
         GError **error)
{
  guint8 *p = buffer;

  while (n > 0)
    {
      ssize_t got = pread (fd, p, MIN (n, (gsize)1 << 30), (off_t)at);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved = errno;
          set_error (error, ST_ERROR_IO, path, "cannot read the file (%s)",
                     g_strerror (saved));
          return FALSE;
        }
      if (got == 0)
        {
          set_error (error, ST_ERROR_IO, path,
                     "the file became shorter while it was read (changed "
                     "or replaced meanwhile?); try again");
          return FALSE;
        }
      p += got;
      at += (guint64)got;
      n -= (gsize)got;
    }
  return TRUE;
}

/* Bytes read and widened per step for F16 and BF16. */
#define CHUNK_ELEMENTS (256u * 1024u)

/* One tensor from the file into out (info->elements floats). */
static gboolean
tensor_read (const TensorInfo *info, int fd, guint64 data_start, float *out,
             guint8 *chunk, const char *path, GError **error)
{
  guint64 at = data_start + info->begin;

  if (info->dtype == DTYPE_F32)
    {
      if (!read_at (fd, at, out, info->elements * 4, path, error))
        return FALSE;
      if (G_BYTE_ORDER != G_LITTLE_ENDIAN)
        for (guint64 i = 0; i < info->elements; i++)
          out[i] = f32_from_le ((const guint8 *)(out + i));
      return TRUE;
    }
  for (guint64 done = 0; done < info->elements;)
    {
      guint64 n = MIN (info->elements - done, (guint64)CHUNK_ELEMENTS);

      if (!read_at (fd, at + 2 * done, chunk, n * 2, path, error))
        return FALSE;
      for (guint64 i = 0; i < n; i++)
        out[done + i] = info->dtype == DTYPE_F16 ? f16_from_le (chunk + 2 * i)
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
        set_error (error, ST_ERROR_FORMAT, path,
                   "tensor “%s” (%s) holds %s at element %" G_GUINT64_FORMAT,
                   name, st_vgg19_layer_name[conv],
                   isnan (values[i]) ? "NaN" : "an infinite value", i);
        return FALSE;
      }
  return TRUE;
}

/* Everything from the parsed header on. */
static gboolean
weights_fill (StVgg19Weights *weights, JsonObject *root, int fd,
              guint64 data_start, guint64 data_length, GError **error)
{
  const char *path = weights->path;
  TensorInfo wanted[2 * ST_VGG19_N_CONV];
  gboolean found[2 * ST_VGG19_N_CONV] = { FALSE };
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  GList *members = NULL;
  guint64 total = 0;
  gboolean ok = FALSE;
  guint8 *chunk = NULL;
  float *next;

  memset (wanted, 0, sizeof wanted);
  if (!metadata_parse (json_object_get_member (root, "__metadata__"),
                       &weights->preprocess, path, error))
    goto out;

  /* in the file's order, so that the first defect reported is the first
     one in the file, the same on every run */
  members = json_object_get_members (root);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      TensorInfo info;
      int slot;

      if (strcmp (name, "__metadata__") == 0)
        continue;
      if (!tensor_parse (name, json_object_get_member (root, name), data_length,
                         &info, path, error))
        goto out;
      if (info.end > info.begin)
        {
          Span span = { info.begin, info.end, name };
          g_array_append_val (spans, span);
        }
      slot = wanted_slot (name);
      if (slot >= 0)
        {
          wanted[slot] = info;
          found[slot] = TRUE;
        }
    }
  if (!spans_check (spans, path, error))
    goto out;

  for (int i = 0; i < 2 * ST_VGG19_N_CONV; i++)
    {
      int conv = i / 2;

      if (!found[i])
        {
          set_error (error, ST_ERROR_FORMAT, path,
                     "tensor “features.%d.%s” (%s) is missing; is this a "
                     "VGG19 file?",
                     st_vgg19_feature_index[conv], i % 2 ? "bias" : "weight",
                     st_vgg19_layer_name[conv]);
          goto out;
        }
      if (!shape_check (&wanted[i], conv, i % 2 == 1, path, error))
        goto out;
      total += wanted[i].elements;
    }

  weights->converted = g_try_new (float, total);
  chunk = g_try_malloc (2 * CHUNK_ELEMENTS);
  if (weights->converted == NULL || chunk == NULL)
    {
      set_error (error, ST_ERROR_MEMORY, path,
                 "out of memory: no room for %" G_GUINT64_FORMAT " weights",
                 total);
      goto out;
    }

  next = weights->converted;
  for (int i = 0; i < 2 * ST_VGG19_N_CONV; i++)
    {
      const TensorInfo *info = &wanted[i];
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
  g_list_free (members);
  g_array_free (spans, TRUE);
  return ok;
}

StVgg19Weights *
st_vgg19_weights_load (const char *path, GError **error)
{
  StVgg19Weights *weights;
  struct stat st;
  guint8 start[8];
  guint64 length;
  guint64 header_length;
  char *header = NULL;
  JsonParser *parser = NULL;
  GError *json_error = NULL;
  JsonNode *root;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Opened without blocking (a FIFO would wait for a writer), then the
   * opened file itself is checked: no window between a check on the name
   * and the open. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved = errno;
      set_error (error, ST_ERROR_IO, path, "%s", g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      set_error (error, ST_ERROR_IO, path, "not a regular file");
      close (fd);
      return NULL;
    }
  length = (guint64)st.st_size;

  weights = g_new0 (StVgg19Weights, 1);
  weights->path = g_strdup (path);

  if (length == 0)
    {
      set_error (error, ST_ERROR_FORMAT, path, "the file is empty");
      goto fail;
    }
  if (length < 8)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "the file has %" G_GUINT64_FORMAT " bytes, too short for a "
                 "safetensors header",
                 length);
      goto fail;
    }
  if (!read_at (fd, 0, start, 8, path, error))
    goto fail;
  /* the likeliest wrong file is the Keras download itself */
  if (memcmp (start, "\211HDF\r\n\032\n", 8) == 0)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "this is an HDF5 file (Keras weights?), not safetensors; "
                 "install it with “gimp-style-transfer-fetch-vgg19 --from "
                 "FILE” (weights/fetch-vgg19 in a source tree)");
      goto fail;
    }
  memcpy (&header_length, start, 8);
  header_length = GUINT64_FROM_LE (header_length);
  if (header_length > HEADER_MAX_BYTES)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "absurd header length %" G_GUINT64_FORMAT " bytes "
                 "(not a safetensors file?)",
                 header_length);
      goto fail;
    }
  if (header_length > length - 8)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "the header length (%" G_GUINT64_FORMAT " bytes) runs past "
                 "the end of the file (%" G_GUINT64_FORMAT " bytes): truncated "
                 "or not a safetensors file",
                 header_length, length);
      goto fail;
    }
  header = g_try_malloc (header_length + 1);
  if (header == NULL)
    {
      set_error (error, ST_ERROR_MEMORY, path,
                 "out of memory: no room for a header of %" G_GUINT64_FORMAT
                 " bytes",
                 header_length);
      goto fail;
    }
  if (!read_at (fd, 8, header, header_length, path, error))
    goto fail;
  header[header_length] = '\0';
  if (!header_prescan (header, header_length, path, error))
    goto fail;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, header, (gssize)header_length,
                                   &json_error))
    {
      set_error (error, ST_ERROR_FORMAT, path, "invalid JSON header (%s)",
                 json_error->message);
      g_error_free (json_error);
      goto fail;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "the JSON header is not an object");
      goto fail;
    }
  if (!weights_fill (weights, json_node_get_object (root), fd,
                     8 + header_length, length - 8 - header_length, error))
    goto fail;

  g_object_unref (parser);
  g_free (header);
  close (fd);
  return weights;

fail:
  if (parser != NULL)
    g_object_unref (parser);
  g_free (header);
  close (fd);
  st_vgg19_weights_free (weights);
  return NULL;
}

void
st_vgg19_weights_free (StVgg19Weights *weights)
{
  if (weights == NULL)
    return;
  if (weights->map != NULL)
    g_mapped_file_unref (weights->map);
  g_free (weights->converted);
  g_free (weights->path);
  g_free (weights);
}
