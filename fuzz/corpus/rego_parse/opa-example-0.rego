package opa.example

public_servers contains server if {
	server = data.servers[_]
	server.ports[_] = data.ports[i].id
	data.ports[i].networks[_] = data.networks[j].id
	data.networks[j].public = true
}

violations contains server if {
	server = data.servers[_]
	server.protocols[_] = "http"
	data.opa.example.public_servers[server]
}
