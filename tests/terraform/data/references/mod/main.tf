variable "name" { type = string }
resource "terraform_data" "main" { input = var.name }
resource "terraform_data" "idle" { input = terraform_data.main.id }
output "id" { value = terraform_data.main.id }
