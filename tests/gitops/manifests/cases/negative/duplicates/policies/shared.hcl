path "secret/data/c/*" {
  capabilities = ["read"]
}
