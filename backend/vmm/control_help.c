/* "help" for any control server's command table (control_help.h). */
#include <json-c/json.h>

#include "control.h"
#include "control_help.h"

int control_cmd_help(struct control_request *req)
{
	struct json_object *arr = json_object_new_array(), *d = json_object_new_object();

	for (const struct control_cmd *c = control_server_commands(req->srv); c->name; c++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "usage", json_object_new_string(c->usage));
		json_object_array_add(arr, o);
	}
	json_object_object_add(d, "commands", arr);
	req->data = d;
	return 0;
}
