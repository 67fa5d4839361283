/* safetensors.c - VGG19 weights from a .safetensors file.
 *
 * The format (huggingface/safetensors): 8 bytes, a little-endian unsigned
 * header length N; N bytes of JSON mapping tensor names to
 *   { "dtype": "F32", "shape": [64, 3, 3, 3], "data_offsets": [begin, end] }
 * plus an optional "__metadata__" object of strings; then the raw
 * little-endian data, offsets counted from the end of the header.
 *
 * The file is mapped, not read: F32 tensors that sit on a 4-byte boundary
 * are used in place, so loading the 80 MB of VGG19 costs no copy.  F16 and
 * BF16 tensors (and unaligned F32 ones) are widened into one owned buffer.
 *
 * The file comes from the user's disk or a download, so every byte of it is
 * treated as hostile: each check below answers a malformed file with a
 * message that names the file and the problem, never with a crash.
 */

#include "internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

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
 * Counts structure outside strings; a NUL byte is refused because the
 * parser would stop there silently. */
static gboolean
header_prescan (const char *text, gsize length, const char *path,
                GError **error)
{
  gboolean in_string = FALSE, escaped = FALSE;
  int depth = 0;
  guint64 values = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '\0')
        {
          set_error (error, ST_ERROR_FORMAT, path,
                     "the header contains a NUL byte at %" G_GSIZE_FORMAT, i);
          return FALSE;
        }
      if (in_string)
        {
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
        default:
          break;
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

/* F32 in place needs the host's byte order and 4-byte alignment. */
static gboolean
usable_in_place (const TensorInfo *info, const guint8 *data)
{
  return G_BYTE_ORDER == G_LITTLE_ENDIAN && info->dtype == DTYPE_F32
         && ((guintptr)(data + info->begin)) % sizeof (float) == 0;
}

static void
widen (const TensorInfo *info, const guint8 *data, float *out)
{
  const guint8 *p = data + info->begin;

  for (guint64 i = 0; i < info->elements; i++)
    switch (info->dtype)
      {
      case DTYPE_F32:
        out[i] = f32_from_le (p + 4 * i);
        break;
      case DTYPE_F16:
        out[i] = f16_from_le (p + 2 * i);
        break;
      case DTYPE_BF16:
        out[i] = bf16_from_le (p + 2 * i);
        break;
      case DTYPE_OTHER:
      default:
        g_assert_not_reached ();
      }
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

/* Everything from the parsed header on; weights->map is set. */
static gboolean
weights_fill (StVgg19Weights *weights, JsonObject *root, const guint8 *data,
              guint64 data_length, GError **error)
{
  const char *path = weights->path;
  TensorInfo wanted[2 * ST_VGG19_N_CONV];
  gboolean found[2 * ST_VGG19_N_CONV] = { FALSE };
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  GList *members = NULL;
  guint64 to_convert = 0;
  gboolean ok = FALSE, any_view = FALSE;
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
      if (!usable_in_place (&wanted[i], data))
        to_convert += wanted[i].elements;
    }

  if (to_convert > 0)
    {
      weights->converted = g_try_new (float, to_convert);
      if (weights->converted == NULL)
        {
          set_error (error, ST_ERROR_MEMORY, path,
                     "no memory to convert %" G_GUINT64_FORMAT " weights",
                     to_convert);
          goto out;
        }
    }

  next = weights->converted;
  for (int i = 0; i < 2 * ST_VGG19_N_CONV; i++)
    {
      const TensorInfo *info = &wanted[i];
      int conv = i / 2;
      const float *values;

      if (usable_in_place (info, data))
        {
          values = (const float *)(const void *)(data + info->begin);
          any_view = TRUE;
        }
      else
        {
          widen (info, data, next);
          values = next;
          next += info->elements;
        }
      if (!finite_check (values, info->elements, info->name, conv, path, error))
        goto out;
      if (i % 2)
        weights->bias[conv] = values;
      else
        weights->weight[conv] = values;
    }

  for (int i = 0; i < ST_VGG19_N_CONV; i++)
    {
      weights->c_in[i] = st_vgg19_c_in[i];
      weights->c_out[i] = st_vgg19_c_out[i];
    }
  /* nothing points into the file (F16, BF16): give the mapping back */
  if (!any_view)
    {
      g_mapped_file_unref (weights->map);
      weights->map = NULL;
    }
  ok = TRUE;

out:
  g_list_free (members);
  g_array_free (spans, TRUE);
  return ok;
}

StVgg19Weights *
st_vgg19_weights_load (const char *path, GError **error)
{
  StVgg19Weights *weights;
  GStatBuf st;
  GError *map_error = NULL;
  const guint8 *bytes;
  gsize length;
  guint64 header_length;
  JsonParser *parser = NULL;
  GError *json_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* stat first: mapping a directory or a FIFO fails late or blocks */
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      set_error (error, ST_ERROR_IO, path, "%s", g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      set_error (error, ST_ERROR_IO, path, "not a regular file");
      return NULL;
    }

  weights = g_new0 (StVgg19Weights, 1);
  weights->path = g_strdup (path);
  weights->map = g_mapped_file_new (path, FALSE, &map_error);
  if (weights->map == NULL)
    {
      set_error (error, ST_ERROR_IO, path, "cannot read the file (%s)",
                 map_error->message);
      g_error_free (map_error);
      goto fail;
    }
  bytes = (const guint8 *)g_mapped_file_get_contents (weights->map);
  length = g_mapped_file_get_length (weights->map);

  if (length == 0)
    {
      set_error (error, ST_ERROR_FORMAT, path, "the file is empty");
      goto fail;
    }
  if (length < 8)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "the file has %" G_GSIZE_FORMAT " bytes, too short for a "
                 "safetensors header",
                 length);
      goto fail;
    }
  /* the likeliest wrong file is the Keras download itself */
  if (memcmp (bytes, "\211HDF\r\n\032\n", 8) == 0)
    {
      set_error (error, ST_ERROR_FORMAT, path,
                 "this is an HDF5 file (Keras weights?), not safetensors; "
                 "install it with “gimp-style-transfer-fetch-vgg19 --from "
                 "FILE” (weights/fetch-vgg19 in a source tree)");
      goto fail;
    }
  memcpy (&header_length, bytes, 8);
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
                 "the end of the file (%" G_GSIZE_FORMAT " bytes): truncated "
                 "or not a safetensors file",
                 header_length, length);
      goto fail;
    }
  if (!header_prescan ((const char *)bytes + 8, header_length, path, error))
    goto fail;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *)bytes + 8,
                                   (gssize)header_length, &json_error))
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
  if (!weights_fill (weights, json_node_get_object (root),
                     bytes + 8 + header_length,
                     (guint64)length - 8 - header_length, error))
    goto fail;

  g_object_unref (parser);
  return weights;

fail:
  if (parser != NULL)
    g_object_unref (parser);
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
