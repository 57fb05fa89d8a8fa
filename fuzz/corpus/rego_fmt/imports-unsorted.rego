package a

# top
import data.z # zc
import data.a as b
import data.a

# second
import input.x
import data.m # mc

p := 1
