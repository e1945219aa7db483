# Auditors list what exists and read the audit configuration; they never read a secret value.
path "secret/metadata/payments/*" {
  capabilities = ["list"]
}

path "secret/metadata/search/*" {
  capabilities = ["list"]
}

path "secret/metadata/identity/*" {
  capabilities = ["list"]
}

path "sys/audit" {
  capabilities = ["read"]
}
