"""The JSON schema of a whole ``Pulumi.<stack>.yaml``, generated from the models.

``python -m stackfile.schema`` rewrites ``schema/stack-config.schema.json``. Editors with the YAML
language server read it through the first line of each stack file, so they complete keys, show each
key's docstring and flag unknown keys and malformed values while typing. The configuration
reference (docs/configuration.md) is built from the same schema (``stackfile.reference``); a test keeps
the committed file equal to this output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from config.secrets import SECRET_DESCRIPTIONS, SECRET_KEYS
from config.stack import StackConfig
from config.validation import PROJECT

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "stack-config.schema.json"
PREFIX = f"{PROJECT}:"
SECRET_REF = "#/$defs/Secret"

# A secret is a plain string (the program warns) or what `pulumi config set --secret` writes.
_SECRET: JsonSchemaValue = {
    "description": "a secret: set it with `pulumi config set --secret <key>`",
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"secure": {"type": "string", "description": "the encrypted value"}},
            "required": ["secure"],
            "additionalProperties": False,
        },
    ],
}


class _Generator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: object) -> bool:
        # Each key's docstring is its description; a title made from its name adds nothing.
        return False

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        # Pydantic states a key rule as patternProperties, which lets a key that breaks the rule
        # through unchecked; require the pattern of every key instead.
        json_schema = super().dict_schema(schema)
        for pattern, values in json_schema.pop("patternProperties", {}).items():
            json_schema["propertyNames"] = {"pattern": pattern}
            json_schema["additionalProperties"] = values
        return json_schema


def stack_file_schema() -> dict[str, Any]:
    """The schema of a stack file: its top-level keys, and under ``config`` every project key."""
    models = StackConfig.model_json_schema(by_alias=True, schema_generator=_Generator)
    keys = {PREFIX + name: value for name, value in models["properties"].items()}
    keys |= {PREFIX + name: {"$ref": SECRET_REF, "description": SECRET_DESCRIPTIONS[name]} for name in SECRET_KEYS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Pulumi.<stack>.yaml of {PROJECT}",
        "description": "Generated from the config models (config/) by `python -m stackfile.schema`; do not edit.",
        "type": "object",
        "properties": {
            "secretsprovider": {"type": "string", "description": "secrets provider of the stack, e.g. passphrase"},
            "encryptedkey": {"type": "string", "description": "data key encrypted by a cloud secrets provider"},
            "encryptionsalt": {"type": "string", "description": "salt of the passphrase secrets provider"},
            "environment": {"type": ["array", "object"], "description": "Pulumi ESC environments the stack imports"},
            "config": {
                "type": "object",
                "description": f"stack config: every {PREFIX}<key> below; other namespaces' keys are not checked",
                "properties": keys,
                "required": [PREFIX + name for name in models["required"]],
                # Keys of other namespaces (kubernetes:..., pulumi:...) belong to someone else. Pulumi
                # itself refuses a key without a namespace.
                "patternProperties": {f"^(?!{PREFIX})[^:]+:": {}},
                "additionalProperties": False,
            },
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": models["$defs"] | {SECRET_REF.rsplit("/", 1)[1]: _SECRET},
    }


def render() -> str:
    return json.dumps(stack_file_schema(), indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(render())
    print(f"wrote {SCHEMA_PATH}")
