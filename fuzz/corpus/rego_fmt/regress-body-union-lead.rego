package ins m if {nit*e|nit*e|mThims
}
#ctg
