#include <json-c/json.h>
#include <json-c/json_tokener.h>
