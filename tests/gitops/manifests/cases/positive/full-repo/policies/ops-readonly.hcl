# Operators can read everything under secret/ but change nothing.
path "secret/data/*" {
  capabilities = ["read", "list"]
}

path "sys/mounts" {
  capabilities = ["read"]
}
