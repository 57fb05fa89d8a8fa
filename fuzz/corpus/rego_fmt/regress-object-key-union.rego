package ins m if {i*nte|mThim:Thiss
}
#ctg
