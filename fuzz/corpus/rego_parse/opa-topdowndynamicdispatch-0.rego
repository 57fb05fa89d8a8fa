package animals

dog := "woof"

cat := "meow"
