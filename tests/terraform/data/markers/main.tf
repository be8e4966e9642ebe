variable "secret" {
  type      = string
  sensitive = true
  default   = "61234"
}

resource "terraform_data" "set" {
  input = {
    parameter = toset([
      { name = "idle_session_timeout", value = var.secret },
      { name = "statement_timeout", value = "30000" },
    ])
    flags = [
      { name = "idle_session_timeout", value = var.secret },
      { name = "statement_timeout", value = "30000" },
    ]
  }
}

resource "terraform_data" "unknown" {
  input = {
    parameter = toset([
      { name = "a", value = "1" },
      { name = "idle_session_timeout", value = terraform_data.set.id },
    ])
  }
}
