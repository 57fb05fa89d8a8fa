/* Type builtins is_number, is_string, is_boolean, is_array, is_set,
 * is_object, is_null (true or false for any value, v1/topdown/type.go)
 * and type_name. */
#include "../bi.h"

#define IS_FN(name, type)                                                    \
	static int bi_##name(rctx *cx, const rv *const *args, const rv **ret) \
	{                                                                    \
		(void)cx;                                                    \
		*ret = rv_bool(args[0]->t == (type));                        \
		return 0;                                                    \
	}

IS_FN(is_number, RV_NUM)
IS_FN(is_string, RV_STR)
IS_FN(is_boolean, RV_BOOL)
IS_FN(is_array, RV_ARR)
IS_FN(is_set, RV_SET)
IS_FN(is_object, RV_OBJ)
IS_FN(is_null, RV_NULL)

#define NAME(lit) {.t = RV_STR, .u.s = {lit, sizeof(lit) - 1}}
/* Indexed by rv_type. */
static const rv type_names[] = {
    NAME("null"),  NAME("boolean"), NAME("number"), NAME("string"),
    NAME("array"), NAME("object"),  NAME("set"),
};

/* "null", "boolean", "number", "string", "array", "object" or "set". */
static int bi_type_name(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = &type_names[args[0]->t];
	return 0;
}

const struct rbi rbi_group_types[] = {
    {.name = "is_number", .arity = 1, .fn = bi_is_number, .rett = RT_BOOL},
    {.name = "is_string", .arity = 1, .fn = bi_is_string, .rett = RT_BOOL},
    {.name = "is_boolean", .arity = 1, .fn = bi_is_boolean, .rett = RT_BOOL},
    {.name = "is_array", .arity = 1, .fn = bi_is_array, .rett = RT_BOOL},
    {.name = "is_set", .arity = 1, .fn = bi_is_set, .rett = RT_BOOL},
    {.name = "is_object", .arity = 1, .fn = bi_is_object, .rett = RT_BOOL},
    {.name = "is_null", .arity = 1, .fn = bi_is_null, .rett = RT_BOOL},
    {.name = "type_name", .arity = 1, .fn = bi_type_name, .rett = RT_STR},
    {.name = NULL},
};
