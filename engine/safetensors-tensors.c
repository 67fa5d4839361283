/* safetensors-tensors.c - the tensor table in a .safetensors header:
 *   { "NAME": { "dtype": "F32", "shape": [64, 3, 3, 3],
 *               "data_offsets": [begin, end] }, ...,
 *     "__metadata__": { "preprocess": "caffe" } }
 * Every entry is checked against itself and the data's length, whether
 * this engine reads it or not; no two may share bytes; the 32 tensors
 * VGG19 needs must all be there with their shapes.  The JSON comes from a
 * hostile file (safetensors-header.c bounded it): every defect is a
 * message naming the file, the tensor and the problem. */

#include "safetensors.h"

#include <string.h>

/* No tensor this engine reads has more than 4 dimensions; extra tensors
 * may have more, but not absurdly many. */
#define SHAPE_MAX_RANK 64

typedef struct
{
  guint64 begin, end;
  const char *name;
} Span;

static StDtype
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
      return ST_DTYPE_F32;
    }
  if (strcmp (name, "F16") == 0 || strcmp (name, "BF16") == 0)
    {
      *size = 2;
      return name[0] == 'F' ? ST_DTYPE_F16 : ST_DTYPE_BF16;
    }
  *size = 0; /* unknown: the size check is skipped for extra tensors */
  for (size_t i = 0; i < G_N_ELEMENTS (others); i++)
    if (strcmp (name, others[i].name) == 0)
      *size = others[i].size;
  return ST_DTYPE_OTHER;
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

/* The entry's "shape": its rank, first 4 dimensions and elements. */
static gboolean
tensor_shape (const char *name, JsonObject *object, StTensorInfo *info,
              const char *path, GError **error)
{
  JsonArray *shape;
  guint n;

  if (!json_object_has_member (object, "shape")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "shape")))
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s” has no \"shape\" array", name);
      return FALSE;
    }
  shape = json_object_get_array_member (object, "shape");
  n = json_array_get_length (shape);
  if (n > SHAPE_MAX_RANK)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s” has %u dimensions", name, n);
      return FALSE;
    }
  info->rank = (int)n;
  info->elements = 1;
  for (guint i = 0; i < n; i++)
    {
      guint64 dim;

      if (!node_get_count (json_array_get_element (shape, i), &dim))
        {
          st_safetensors_error (
              error, ST_ERROR_FORMAT, path,
              "tensor “%s”: shape[%u] is not a non-negative integer", name, i);
          return FALSE;
        }
      if (i < 4)
        info->shape[i] = dim;
      /* saturate rather than wrap: a huge count fails the size check
         in tensor_offsets, a wrapped one might pass it */
      if (dim != 0 && info->elements > G_MAXUINT64 / dim)
        info->elements = G_MAXUINT64;
      else
        info->elements *= dim;
    }
  return TRUE;
}

/* The entry's "data_offsets", within the data and holding its shape in
 * its dtype (of element_size bytes; 0 when unknown). */
static gboolean
tensor_offsets (const char *name, JsonObject *object, guint64 element_size,
                guint64 data_length, StTensorInfo *info, const char *path,
                GError **error)
{
  JsonArray *offsets;

  if (!json_object_has_member (object, "data_offsets")
      || !JSON_NODE_HOLDS_ARRAY (
          json_object_get_member (object, "data_offsets")))
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s” has no \"data_offsets\" array", name);
      return FALSE;
    }
  offsets = json_object_get_array_member (object, "data_offsets");
  if (json_array_get_length (offsets) != 2
      || !node_get_count (json_array_get_element (offsets, 0), &info->begin)
      || !node_get_count (json_array_get_element (offsets, 1), &info->end))
    {
      st_safetensors_error (
          error, ST_ERROR_FORMAT, path,
          "tensor “%s”: data_offsets is not [begin, end] with "
          "non-negative integers",
          name);
      return FALSE;
    }
  if (info->begin > info->end)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s”: data_offsets begin %" G_GUINT64_FORMAT
                            " is after end %" G_GUINT64_FORMAT,
                            name, info->begin, info->end);
      return FALSE;
    }
  if (info->end > data_length)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
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
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s”: %" G_GUINT64_FORMAT
                            " bytes of data do not "
                            "hold its shape in %s",
                            name, info->end - info->begin, info->dtype_name);
      return FALSE;
    }
  return TRUE;
}

/* Checks one entry of the header against itself and the data's length. */
static gboolean
tensor_parse (const char *name, JsonNode *node, guint64 data_length,
              StTensorInfo *info, const char *path, GError **error)
{
  JsonObject *object;
  JsonNode *dtype_node;
  guint64 element_size;

  memset (info, 0, sizeof *info);
  info->name = name;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s” is not a JSON object", name);
      return FALSE;
    }
  object = json_node_get_object (node);

  dtype_node = json_object_get_member (object, "dtype");
  if (dtype_node == NULL || JSON_NODE_TYPE (dtype_node) != JSON_NODE_VALUE
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
                            "tensor “%s” has no \"dtype\" string", name);
      return FALSE;
    }
  info->dtype_name = json_node_get_string (dtype_node);
  info->dtype = dtype_parse (info->dtype_name, &element_size);

  return tensor_shape (name, object, info, path, error)
         && tensor_offsets (name, object, element_size, data_length, info, path,
                            error);
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
          st_safetensors_error (error, ST_ERROR_FORMAT, path,
                                "tensors “%s” and “%s” overlap in the data",
                                prev->name, next->name);
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
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
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
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
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
      st_safetensors_error (error, ST_ERROR_FORMAT, path,
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
shape_check (const StTensorInfo *info, int conv, gboolean bias,
             const char *path, GError **error)
{
  guint64 c_out = (guint64)st_vgg19_c_out[conv];
  guint64 c_in = (guint64)st_vgg19_c_in[conv];
  gboolean ok;

  if (info->dtype == ST_DTYPE_OTHER)
    {
      st_safetensors_error (
          error, ST_ERROR_FORMAT, path,
          "tensor “%s” (%s) is %s; only F32, F16 and BF16 are read", info->name,
          st_vgg19_layer_name[conv], info->dtype_name);
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
        st_safetensors_error (error, ST_ERROR_FORMAT, path,
                              "tensor “%s” (%s) has shape %s; VGG19 needs [%d]",
                              info->name, st_vgg19_layer_name[conv], got->str,
                              st_vgg19_c_out[conv]);
      else
        st_safetensors_error (error, ST_ERROR_FORMAT, path,
                              "tensor “%s” (%s) has shape %s; VGG19 needs "
                              "[%d, %d, 3, 3]",
                              info->name, st_vgg19_layer_name[conv], got->str,
                              st_vgg19_c_out[conv], st_vgg19_c_in[conv]);
      g_string_free (got, TRUE);
      return FALSE;
    }
  return TRUE;
}

/* Every entry of the header, in the file's order, so that the first
 * defect reported is the first one in the file, the same on every run;
 * then no two may overlap.  The wanted ones land in wanted. */
static gboolean
tensors_parse (JsonObject *root, guint64 data_length,
               StTensorInfo wanted[ST_SAFETENSORS_WANTED],
               gboolean found[ST_SAFETENSORS_WANTED], const char *path,
               GError **error)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  GList *members = json_object_get_members (root);
  gboolean ok = FALSE;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      StTensorInfo info;
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
  ok = spans_check (spans, path, error);

out:
  g_list_free (members);
  g_array_free (spans, TRUE);
  return ok;
}

gboolean
st_safetensors_tensors (JsonObject *root, guint64 data_length,
                        StTensorInfo wanted[ST_SAFETENSORS_WANTED],
                        StPreprocess *preprocess, guint64 *total,
                        const char *path, GError **error)
{
  gboolean found[ST_SAFETENSORS_WANTED] = { FALSE };

  memset (wanted, 0, ST_SAFETENSORS_WANTED * sizeof *wanted);
  *total = 0;
  if (!metadata_parse (json_object_get_member (root, "__metadata__"),
                       preprocess, path, error)
      || !tensors_parse (root, data_length, wanted, found, path, error))
    return FALSE;

  for (int i = 0; i < ST_SAFETENSORS_WANTED; i++)
    {
      int conv = i / 2;

      if (!found[i])
        {
          st_safetensors_error (
              error, ST_ERROR_FORMAT, path,
              "tensor “features.%d.%s” (%s) is missing; is this a "
              "VGG19 file?",
              st_vgg19_feature_index[conv], i % 2 ? "bias" : "weight",
              st_vgg19_layer_name[conv]);
          return FALSE;
        }
      if (!shape_check (&wanted[i], conv, i % 2 == 1, path, error))
        return FALSE;
      *total += wanted[i].elements;
    }
  return TRUE;
}
