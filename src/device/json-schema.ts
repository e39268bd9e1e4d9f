/** JSON Schema of device profiles, generated from the zod schema (the committed copy lives in schemas/). */

import { z } from "zod";
import { deviceProfileSchema } from "./profile-schema.js";

export const DEVICE_PROFILE_SCHEMA_ID = "https://codl.dev/schemas/device-profile.schema.json";

export function deviceProfileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(deviceProfileSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
  return { ...schema, $id: DEVICE_PROFILE_SCHEMA_ID, title: "codl device profile" };
}

/** The exact text of schemas/device-profile.schema.json. */
export function deviceProfileJsonSchemaText(): string {
  return `${JSON.stringify(deviceProfileJsonSchema(), null, 2)}\n`;
}
