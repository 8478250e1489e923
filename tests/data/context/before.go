package drop

func unrelatedBefore(x int) int { // drop
	x = x + 0 // drop
	x = x + 1 // drop
	x = x + 2 // drop
	x = x + 3 // drop
	x = x + 4 // drop
	x = x + 5 // drop
	x = x + 6 // drop
	x = x + 7 // drop
	x = x + 8 // drop
	x = x + 9 // drop
	x = x + 10 // drop
	x = x + 11 // drop
	x = x + 12 // drop
	x = x + 13 // drop
	x = x + 14 // drop
	x = x + 15 // drop
	x = x + 16 // drop
	x = x + 17 // drop
	x = x + 18 // drop
	x = x + 19 // drop
	x = x + 20 // drop
	x = x + 21 // drop
	x = x + 22 // drop
	x = x + 23 // drop
	x = x + 24 // drop
	x = x + 25 // drop
	x = x + 26 // drop
	x = x + 27 // drop
	x = x + 28 // drop
	x = x + 29 // drop
	x = x + 30 // drop
	x = x + 31 // drop
	x = x + 32 // drop
	x = x + 33 // drop
	x = x + 34 // drop
	x = x + 35 // drop
	x = x + 36 // drop
	x = x + 37 // drop
	x = x + 38 // drop
	x = x + 39 // drop
	x = x + 40 // drop
	x = x + 41 // drop
	x = x + 42 // drop
	x = x + 43 // drop
	x = x + 44 // drop
	x = x + 45 // drop
	x = x + 46 // drop
	x = x + 47 // drop
	x = x + 48 // drop
	x = x + 49 // drop
	x = x + 50 // drop
	x = x + 51 // drop
	x = x + 52 // drop
	x = x + 53 // drop
	x = x + 54 // drop
	x = x + 55 // drop
	x = x + 56 // drop
	x = x + 57 // drop
	x = x + 58 // drop
	x = x + 59 // drop
	return x // drop
} // drop

type Widget struct { // drop
	dropSize int
} // drop

// LongMethod is the long one: keep
func (w *Widget) LongMethod(keep0 int) int { // keep
	keep1 := compute(keep0)
	keep2 := compute(keep1)
	keep3 := compute(keep2)
	keep4 := compute(keep3)
	keep5 := compute(keep4)
	keep6 := compute(keep5)
	keep7 := compute(keep6)
	keep8 := compute(keep7)
	keep9 := compute(keep8)
	keep10 := compute(keep9)
	keep11 := compute(keep10)
	keep12 := compute(keep11)
	keep13 := compute(keep12)
	keep14 := compute(keep13)
	keep15 := compute(keep14)
	keep16 := compute(keep15)
	keep17 := compute(keep16)
	keep18 := compute(keep17)
	keep19 := compute(keep18)
	keep20 := compute(keep19)
	keep21 := compute(keep20)
	keep22 := compute(keep21)
	keep23 := compute(keep22)
	keep24 := compute(keep23)
	keep25 := compute(keep24)
	keep26 := compute(keep25)
	keep27 := compute(keep26)
	keep28 := compute(keep27)
	keep29 := compute(keep28)
	keep30 := compute(keep29)
	keep31 := compute(keep30)
	keep32 := compute(keep31)
	keep33 := compute(keep32)
	keep34 := compute(keep33)
	keep35 := compute(keep34)
	keep36 := compute(keep35)
	keep37 := compute(keep36)
	keep38 := compute(keep37)
	keep39 := compute(keep38)
	keep40 := compute(keep39)
	keep41 := compute(keep40)
	keep42 := compute(keep41)
	keep43 := compute(keep42)
	keep44 := compute(keep43)
	keep45 := compute(keep44)
	keep46 := compute(keep45)
	keep47 := compute(keep46)
	keep48 := compute(keep47)
	keep49 := compute(keep48)
	keep50 := compute(keep49)
	return keep50 // keep
} // keep

func unrelatedAfter() { // drop
	fmt.Println("drop 0")
	fmt.Println("drop 1")
	fmt.Println("drop 2")
	fmt.Println("drop 3")
	fmt.Println("drop 4")
	fmt.Println("drop 5")
	fmt.Println("drop 6")
	fmt.Println("drop 7")
	fmt.Println("drop 8")
	fmt.Println("drop 9")
	fmt.Println("drop 10")
	fmt.Println("drop 11")
	fmt.Println("drop 12")
	fmt.Println("drop 13")
	fmt.Println("drop 14")
	fmt.Println("drop 15")
	fmt.Println("drop 16")
	fmt.Println("drop 17")
	fmt.Println("drop 18")
	fmt.Println("drop 19")
	fmt.Println("drop 20")
	fmt.Println("drop 21")
	fmt.Println("drop 22")
	fmt.Println("drop 23")
	fmt.Println("drop 24")
	fmt.Println("drop 25")
	fmt.Println("drop 26")
	fmt.Println("drop 27")
	fmt.Println("drop 28")
	fmt.Println("drop 29")
	fmt.Println("drop 30")
	fmt.Println("drop 31")
	fmt.Println("drop 32")
	fmt.Println("drop 33")
	fmt.Println("drop 34")
	fmt.Println("drop 35")
	fmt.Println("drop 36")
	fmt.Println("drop 37")
	fmt.Println("drop 38")
	fmt.Println("drop 39")
	fmt.Println("drop 40")
	fmt.Println("drop 41")
	fmt.Println("drop 42")
	fmt.Println("drop 43")
	fmt.Println("drop 44")
	fmt.Println("drop 45")
	fmt.Println("drop 46")
	fmt.Println("drop 47")
	fmt.Println("drop 48")
	fmt.Println("drop 49")
	fmt.Println("drop 50")
	fmt.Println("drop 51")
	fmt.Println("drop 52")
	fmt.Println("drop 53")
	fmt.Println("drop 54")
	fmt.Println("drop 55")
	fmt.Println("drop 56")
	fmt.Println("drop 57")
	fmt.Println("drop 58")
	fmt.Println("drop 59")
} // drop
