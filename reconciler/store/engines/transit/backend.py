"""The transit secrets engine (encryption as a service), as Vault's `transit` answers it.

Keys never leave the store unless created `exportable`; callers send plaintext (base64) and
get `vault:vN:` ciphertexts, signatures and HMACs back. Every operation accepts Vault's
`batch_input`; a batch with a failed item answers 400 with every item's result, as Vault does.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization

from reconciler.store.engines.transit import crypto
from reconciler.store.engines.transit.keyring import SIGNING, TransitKey, check_type
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Backend, Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response

_NAME = r"(?P<name>[^/]+)"
_ALGO = r"(?:/(?P<algorithm>[^/]+))?"
_KEY_FIELDS = {
    "type": Field(FieldType.STRING, "aes256-gcm96"),
    "derived": Field(FieldType.BOOL, False),
    "convergent_encryption": Field(FieldType.BOOL, False),
    "exportable": Field(FieldType.BOOL, False),
    "allow_plaintext_backup": Field(FieldType.BOOL, False),
    "auto_rotate_period": Field(FieldType.DURATION, 0),
    "key_size": Field(FieldType.INT, 0),
}
_CONFIG_FIELDS = {
    "min_decryption_version": Field(FieldType.INT),
    "min_encryption_version": Field(FieldType.INT),
    "deletion_allowed": Field(FieldType.BOOL),
    "exportable": Field(FieldType.BOOL),
    "allow_plaintext_backup": Field(FieldType.BOOL),
    "auto_rotate_period": Field(FieldType.DURATION),
}
_ITEM_FIELDS = {
    "plaintext": Field(FieldType.STRING),
    "ciphertext": Field(FieldType.STRING),
    "input": Field(FieldType.STRING),
    "context": Field(FieldType.STRING, ""),
    "nonce": Field(FieldType.STRING, ""),
    "key_version": Field(FieldType.INT, 0),
    "reference": Field(FieldType.STRING, ""),
    "batch_input": Field(FieldType.ANY),
    "type": Field(FieldType.STRING, "aes256-gcm96"),
    "bits": Field(FieldType.INT, 256),
    "hash_algorithm": Field(FieldType.STRING, "sha2-256"),
    "algorithm": Field(FieldType.STRING, "sha2-256"),
    "signature_algorithm": Field(FieldType.STRING, "pss"),
    "prehashed": Field(FieldType.BOOL, False),
    "signature": Field(FieldType.STRING),
    "hmac": Field(FieldType.STRING),
    "partial_failure_response_code": Field(FieldType.INT, 400),
    "associated_data": Field(FieldType.STRING, ""),
}
_EXPORT_TYPES = ("encryption-key", "signing-key", "hmac-key", "public-key")
Item = dict[str, Any]
ItemHandler = Callable[[TransitKey, Item], Item]


class TransitBackend(Backend):
    """Named keys, and the operations that use them without revealing them."""

    type_name = "transit"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Key changes are read-modify-write on one document: one writer at a time per mount.
        self._write_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def paths(self) -> list[PathSpec]:
        """The path table of the engine."""
        update = Operation.UPDATE
        return [
            PathSpec(r"keys/?", {Operation.LIST: self.list_keys}),
            PathSpec(
                rf"keys/{_NAME}",
                {
                    update: self.create_key,
                    Operation.READ: self.read_key,
                    Operation.DELETE: self.delete_key,
                },
                fields=_KEY_FIELDS,
                existence_check=self._key_exists,
            ),
            PathSpec(rf"keys/{_NAME}/config", {update: self.configure}, fields=_CONFIG_FIELDS),
            PathSpec(rf"keys/{_NAME}/rotate", {update: self.rotate}, fields=_KEY_FIELDS),
            PathSpec(
                rf"encrypt/{_NAME}",
                {update: self.encrypt},
                fields=_ITEM_FIELDS,
                existence_check=self._key_exists,
            ),
            PathSpec(rf"decrypt/{_NAME}", {update: self.decrypt}, fields=_ITEM_FIELDS),
            PathSpec(rf"rewrap/{_NAME}", {update: self.rewrap}, fields=_ITEM_FIELDS),
            PathSpec(
                rf"datakey/(?P<kind>plaintext|wrapped)/{_NAME}",
                {update: self.datakey},
                fields=_ITEM_FIELDS,
            ),
            PathSpec(rf"sign/{_NAME}{_ALGO}", {update: self.sign}, fields=_ITEM_FIELDS),
            PathSpec(rf"verify/{_NAME}{_ALGO}", {update: self.verify}, fields=_ITEM_FIELDS),
            PathSpec(rf"hmac/{_NAME}{_ALGO}", {update: self.hmac}, fields=_ITEM_FIELDS),
            PathSpec(
                rf"export/(?P<export_type>[^/]+)/{_NAME}(?:/(?P<version>[^/]+))?",
                {Operation.READ: self.export},
            ),
            PathSpec(r"random(?:/(?P<bytes>\d+))?", {update: self.random}, fields=_ITEM_FIELDS),
        ]

    # -- storage -----------------------------------------------------------------------------

    def _load(self, name: str) -> TransitKey | None:
        doc = self.storage.get_json(f"policy/{name}")
        return None if doc is None else TransitKey.from_storage(doc)

    def _require(self, name: str) -> TransitKey:
        key = self._load(name)
        if key is None:
            raise BadRequest("encryption key not found")
        return key

    def _save(self, key: TransitKey) -> None:
        self.storage.put_json(f"policy/{key.name}", key.to_storage())

    def _key_exists(self, req: Request, data: FieldData) -> bool:
        return self._load(data.params["name"]) is not None

    # -- keys --------------------------------------------------------------------------------

    def list_keys(self, req: Request, data: FieldData) -> Response:
        """LIST keys: the key names."""
        names = self.storage.list("policy/")
        if not names:
            raise NotFound()
        return Response(data={"keys": names})

    def create_key(self, req: Request, data: FieldData) -> Response:
        """Create a key (an existing one is left as it is, as Vault does) and show it."""
        name = data.params["name"]
        with self._write_lock:
            key = self._load(name) or self._new_key(name, data)
        return Response(data=key.public_view())

    def _new_key(self, name: str, data: FieldData) -> TransitKey:
        key_type = check_type(data.get("type"))
        derived = bool(data.get("derived"))
        convergent = bool(data.get("convergent_encryption"))
        if convergent and not derived:
            raise BadRequest("convergent encryption requires derivation to be enabled")
        if derived and key_type not in {
            "aes128-gcm96",
            "aes256-gcm96",
            "chacha20-poly1305",
            "ed25519",
        }:
            raise BadRequest(f"key derivation is not supported for key type {key_type}")
        key_size = data.get("key_size") or 0
        if key_type == "hmac" and not 32 <= (key_size or 32) <= 512:
            raise BadRequest("invalid key size for HMAC key, must be between 32 and 512 bytes")
        key = TransitKey(
            name=name,
            type=key_type,
            derived=derived,
            convergent_encryption=convergent,
            exportable=bool(data.get("exportable")),
            allow_plaintext_backup=bool(data.get("allow_plaintext_backup")),
            auto_rotate_period=int(data.get("auto_rotate_period") or 0),
        )
        key.rotate(key_size)
        self._save(key)
        return key

    def read_key(self, req: Request, data: FieldData) -> Response:
        """GET keys/<name>: settings and public material only."""
        key = self._load(data.params["name"])
        if key is None:
            raise NotFound()
        return Response(data=key.public_view())

    def delete_key(self, req: Request, data: FieldData) -> None:
        """DELETE keys/<name>: only once `deletion_allowed` is set."""
        name = data.params["name"]
        with self._write_lock:
            key = self._require(name)
            if not key.deletion_allowed:
                raise BadRequest(
                    f"error deleting policy {name}: deletion is not allowed for this key"
                )
            self.storage.delete(f"policy/{name}")

    def configure(self, req: Request, data: FieldData) -> Response:
        """POST keys/<name>/config: version rules and export/deletion switches."""
        with self._write_lock:
            key = self._require(data.params["name"])
            self._apply_config(key, data)
            self._save(key)
        return Response(data=key.public_view())

    def _apply_config(self, key: TransitKey, data: FieldData) -> None:
        # Check everything before changing anything: a refused config changes nothing.
        minimum_decrypt = data.get("min_decryption_version")
        minimum_encrypt = data.get("min_encryption_version")
        if minimum_decrypt is not None and not 0 <= minimum_decrypt <= key.latest_version:
            raise BadRequest(
                "cannot set min decryption version to a version greater than the latest"
            )
        if minimum_encrypt is not None and not 0 <= minimum_encrypt <= key.latest_version:
            raise BadRequest(
                "cannot set min encryption version to a version greater than the latest"
            )
        new_decrypt = minimum_decrypt or key.min_decryption_version
        new_encrypt = key.min_encryption_version if minimum_encrypt is None else minimum_encrypt
        if new_encrypt and new_encrypt < new_decrypt:
            raise BadRequest(
                "minimum encryption version cannot be set lower than minimum decryption version"
            )
        key.min_decryption_version = new_decrypt
        key.min_encryption_version = new_encrypt
        if data.present("deletion_allowed"):
            key.deletion_allowed = data.get("deletion_allowed")
        # As OpenBao: these only ever turn on; a false is accepted and changes nothing.
        for switch in ("exportable", "allow_plaintext_backup"):
            if data.present(switch) and data.get(switch):
                setattr(key, switch, True)
        if data.present("auto_rotate_period"):
            key.auto_rotate_period = data.get("auto_rotate_period")

    def rotate(self, req: Request, data: FieldData) -> Response:
        """POST keys/<name>/rotate: a new latest version; old ones still decrypt."""
        with self._write_lock:
            key = self._require(data.params["name"])
            key.rotate(data.get("key_size") or 0)
            self._save(key)
        return Response(data=key.public_view())

    def export(self, req: Request, data: FieldData) -> Response:
        """GET export/<type>/<name>[/<version>]: key material, only for exportable keys."""
        export_type = data.params["export_type"]
        if export_type not in _EXPORT_TYPES:
            raise BadRequest(f"invalid export type: {export_type}")
        key = self._require(data.params["name"])
        if export_type != "public-key" and not key.exportable:
            raise BadRequest("private key material is not exportable")
        if export_type == "encryption-key" and not key.supports_encryption:
            raise BadRequest("encryption key not found")
        if export_type in {"signing-key", "public-key"} and key.type not in SIGNING:
            raise BadRequest("signing key not found")
        wanted = data.params.get("version", "")
        if wanted in {"", "latest"}:
            numbers = [n for n in sorted(key.versions) if n >= key.min_decryption_version]
            numbers = numbers if not wanted else [key.latest_version]
        elif wanted.isdigit() and int(wanted) in key.versions:
            numbers = [int(wanted)]
        else:
            raise BadRequest("invalid key version")
        keys = {str(n): _exported(key, n, export_type) for n in numbers}
        return Response(data={"name": key.name, "type": key.type, "keys": keys})

    # -- operations ----------------------------------------------------------------------------

    def encrypt(self, req: Request, data: FieldData) -> Response:
        """POST encrypt/<name>: creates the key on first use (with `create` on the path)."""
        name = data.params["name"]
        with self._write_lock:
            key = self._load(name) or self._new_key(name, data)
        return self._batch(key, data, self._encrypt_item)

    def _encrypt_item(self, key: TransitKey, item: Item) -> Item:
        plaintext = crypto.b64decode(_required(item, "plaintext"), "plaintext")
        version = key.version_for_encryption(int(item.get("key_version") or 0))
        ciphertext = crypto.encrypt(key, version, plaintext, _context(item))
        return {"ciphertext": ciphertext, "key_version": version}

    def decrypt(self, req: Request, data: FieldData) -> Response:
        """POST decrypt/<name>: base64 plaintext of a `vault:vN:` ciphertext."""
        return self._batch(self._require(data.params["name"]), data, self._decrypt_item)

    def _decrypt_item(self, key: TransitKey, item: Item) -> Item:
        plaintext = crypto.decrypt(key, _required(item, "ciphertext"), _context(item))
        return {"plaintext": base64.b64encode(plaintext).decode()}

    def rewrap(self, req: Request, data: FieldData) -> Response:
        """POST rewrap/<name>: decrypt and encrypt again with the latest (or given) version."""
        return self._batch(self._require(data.params["name"]), data, self._rewrap_item)

    def _rewrap_item(self, key: TransitKey, item: Item) -> Item:
        context = _context(item)
        plaintext = crypto.decrypt(key, _required(item, "ciphertext"), context)
        version = key.version_for_encryption(int(item.get("key_version") or 0))
        return {
            "ciphertext": crypto.encrypt(key, version, plaintext, context),
            "key_version": version,
        }

    def datakey(self, req: Request, data: FieldData) -> Response:
        """POST datakey/<plaintext|wrapped>/<name>: a fresh key, encrypted with this one."""
        key = self._require(data.params["name"])
        bits = data.get("bits")
        if bits not in (128, 256, 512):
            raise BadRequest("invalid bits value")
        fresh = os.urandom(bits // 8)
        version = key.version_for_encryption(data.get("key_version"))
        context = crypto.b64decode(data.get("context"), "context") if data.get("context") else b""
        out: Item = {
            "ciphertext": crypto.encrypt(key, version, fresh, context),
            "key_version": version,
        }
        if data.params["kind"] == "plaintext":
            out["plaintext"] = base64.b64encode(fresh).decode()
        return Response(data=out)

    def sign(self, req: Request, data: FieldData) -> Response:
        """POST sign/<name>[/<hash>]: a `vault:vN:` signature of the base64 input."""
        key = self._require(data.params["name"])
        options = _hash_options(data)

        def one(key: TransitKey, item: Item) -> Item:
            version = key.version_for_encryption(int(item.get("key_version") or 0))
            payload = crypto.b64decode(_required(item, "input"), "input")
            return {
                "signature": crypto.sign(key, version, payload, **options),
                "key_version": version,
            }

        return self._batch(key, data, one)

    def verify(self, req: Request, data: FieldData) -> Response:
        """POST verify/<name>[/<hash>]: `valid` for a signature or an HMAC of the input."""
        key = self._require(data.params["name"])
        options = _hash_options(data)

        def one(key: TransitKey, item: Item) -> Item:
            payload = crypto.b64decode(_required(item, "input"), "input")
            if item.get("hmac"):
                return {
                    "valid": crypto.verify_hmac(key, payload, item["hmac"], options["algorithm"])
                }
            return {"valid": crypto.verify(key, payload, _required(item, "signature"), **options)}

        return self._batch(key, data, one)

    def hmac(self, req: Request, data: FieldData) -> Response:
        """POST hmac/<name>[/<algorithm>]: a `vault:vN:` HMAC of the input."""
        key = self._require(data.params["name"])
        algorithm = _hash_options(data)["algorithm"]

        def one(key: TransitKey, item: Item) -> Item:
            version = key.version_for_encryption(int(item.get("key_version") or 0))
            payload = crypto.b64decode(_required(item, "input"), "input")
            return {"hmac": crypto.hmac_of(key, version, payload, algorithm)}

        return self._batch(key, data, one)

    def random(self, req: Request, data: FieldData) -> Response:
        """POST random[/<bytes>]: random bytes, base64 (default) or hex."""
        count = int(data.params.get("bytes") or data.raw.get("bytes") or 32)
        if not 1 <= count <= 1024 * 128:
            raise BadRequest("the number of bytes must be between 1 and 131072")
        raw = os.urandom(count)
        fmt = str(data.raw.get("format") or "base64")
        if fmt not in {"base64", "hex"}:
            raise BadRequest(f'unsupported encoding format {fmt}; must be "hex" or "base64"')
        return Response(
            data={"random_bytes": raw.hex() if fmt == "hex" else base64.b64encode(raw).decode()}
        )

    # -- batches -------------------------------------------------------------------------------

    def _batch(self, key: TransitKey, data: FieldData, one: ItemHandler) -> Response:
        """One item from the body, or every item of `batch_input` with per-item errors."""
        batch = data.raw.get("batch_input")
        if batch is None:
            return Response(data=one(key, _single_item(data)))
        if not isinstance(batch, list) or not all(isinstance(i, dict) for i in batch):
            raise BadRequest("batch_input must be a list of objects")
        if not batch:
            raise BadRequest("missing batch input to process")
        results: list[Item] = []
        failed = False
        for item in batch:
            reference = str(item.get("reference", ""))
            try:
                result = one(key, item)
            except BadRequest as exc:
                failed = True
                result = {"error": str(exc)}
            results.append({**result, "reference": reference})
        status = data.get("partial_failure_response_code") if failed else None
        return Response(data={"batch_results": results}, status=status)


def _single_item(data: FieldData) -> Item:
    names = ("plaintext", "ciphertext", "input", "context", "key_version", "signature", "hmac")
    return {n: data.raw[n] for n in names if data.raw.get(n) is not None}


def _required(item: Item, name: str) -> str:
    value = item.get(name)
    if value is None or value == "":
        raise BadRequest(f"missing {name} to process")
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def _context(item: Item) -> bytes:
    value = item.get("context") or ""
    return crypto.b64decode(str(value), "context") if value else b""


def _hash_options(data: FieldData) -> dict[str, Any]:
    algorithm = data.params.get("algorithm") or data.get("hash_algorithm") or data.get("algorithm")
    return {
        "algorithm": algorithm,
        "signature_algorithm": data.get("signature_algorithm"),
        "prehashed": data.get("prehashed"),
    }


def _exported(key: TransitKey, number: int, export_type: str) -> str:
    version = key.versions[number]
    if export_type == "hmac-key":
        return version.material if key.type == "hmac" else version.hmac_key
    if export_type == "encryption-key":
        return version.material
    private = version.private_key()
    if export_type == "public-key":
        public = private.public_key()
        if key.type == "ed25519":
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return base64.b64encode(raw).decode()
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode()
    if key.type == "ed25519":
        seed = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        public_raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(seed + public_raw).decode()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return pem.decode().rstrip("\n")
