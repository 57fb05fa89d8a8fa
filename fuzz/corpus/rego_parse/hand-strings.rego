package s

a := "tab\t nl\n quote\" bs\\ slash\/ u\u00e9 pair\ud83d\ude00 lone\ud800"
b := `raw \n "q" `
c := "café 日本"
d := [1, -2, 3.5, 1e10, 2E-3, 0.5, -0, 123456789012345678901234567890]
e := [null, true, false, {}, set(), [], {"a": {1, 2}}]
