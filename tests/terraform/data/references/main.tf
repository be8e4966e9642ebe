module "db" {
  source   = "./mod"
  for_each = toset(["eu.1]", "us"])
  name     = each.key
}
module "settings" {
  source    = "./out"
  server_id = terraform_data.server[0].id
}
resource "terraform_data" "server" {
  count = 2
  input = "s${count.index}"
}
resource "terraform_data" "cfg" {
  count = 2
  input = terraform_data.server[count.index].id
}
