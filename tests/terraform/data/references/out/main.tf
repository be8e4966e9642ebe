variable "server_id" { type = string }
resource "terraform_data" "idle" { input = var.server_id }
