path "secret/data/*" {
  capabilities = ["read"]
}

pth "secret/metadata/*" {
  capabilities = ["list"]
}
