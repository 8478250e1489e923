import os  # drop

def unrelated_before(x):  # drop
    x = x + 0  # drop
    x = x + 1  # drop
    x = x + 2  # drop
    x = x + 3  # drop
    x = x + 4  # drop
    x = x + 5  # drop
    x = x + 6  # drop
    x = x + 7  # drop
    x = x + 8  # drop
    x = x + 9  # drop
    x = x + 10  # drop
    x = x + 11  # drop
    x = x + 12  # drop
    x = x + 13  # drop
    x = x + 14  # drop
    x = x + 15  # drop
    x = x + 16  # drop
    x = x + 17  # drop
    x = x + 18  # drop
    x = x + 19  # drop
    x = x + 20  # drop
    x = x + 21  # drop
    x = x + 22  # drop
    x = x + 23  # drop
    x = x + 24  # drop
    x = x + 25  # drop
    x = x + 26  # drop
    x = x + 27  # drop
    x = x + 28  # drop
    x = x + 29  # drop
    x = x + 30  # drop
    x = x + 31  # drop
    x = x + 32  # drop
    x = x + 33  # drop
    x = x + 34  # drop
    x = x + 35  # drop
    x = x + 36  # drop
    x = x + 37  # drop
    x = x + 38  # drop
    x = x + 39  # drop
    x = x + 40  # drop
    x = x + 41  # drop
    x = x + 42  # drop
    x = x + 43  # drop
    x = x + 44  # drop
    x = x + 45  # drop
    x = x + 46  # drop
    x = x + 47  # drop
    x = x + 48  # drop
    x = x + 49  # drop
    x = x + 50  # drop
    x = x + 51  # drop
    x = x + 52  # drop
    x = x + 53  # drop
    x = x + 54  # drop
    x = x + 55  # drop
    x = x + 56  # drop
    x = x + 57  # drop
    x = x + 58  # drop
    x = x + 59  # drop
    return x  # drop


class Widget(Base):  # keep
    """A widget: drop."""
    drop_size = 3

    def other(self):  # drop
        return self.drop_size

    # The long one: keep
    @cached  # keep
    def long_method(self, keep0):  # keep
        keep1 = compute(keep0)
        keep2 = compute(keep1)
        keep3 = compute(keep2)
        keep4 = compute(keep3)
        keep5 = compute(keep4)
        keep6 = compute(keep5)
        keep7 = compute(keep6)
        keep8 = compute(keep7)
        keep9 = compute(keep8)
        keep10 = compute(keep9)
        keep11 = compute(keep10)
        keep12 = compute(keep11)
        keep13 = compute(keep12)
        keep14 = compute(keep13)
        keep15 = compute(keep14)
        keep16 = compute(keep15)
        keep17 = compute(keep16)
        keep18 = compute(keep17)
        keep19 = compute(keep18)
        keep20 = compute(keep19)
        keep21 = compute(keep20)
        keep22 = compute(keep21)
        keep23 = compute(keep22)
        keep24 = compute(keep23)
        keep25 = compute(keep24)
        keep26 = compute(keep25)
        keep27 = compute(keep26)
        keep28 = compute(keep27)
        keep29 = compute(keep28)
        keep30 = compute(keep29)
        keep31 = compute(keep30)
        keep32 = compute(keep31)
        keep33 = compute(keep32)
        keep34 = compute(keep33)
        keep35 = compute(keep34)
        keep36 = compute(keep35)
        keep37 = compute(keep36)
        keep38 = compute(keep37)
        keep39 = compute(keep38)
        keep40 = compute(keep39)
        keep41 = compute(keep40)
        keep42 = compute(keep41)
        keep43 = compute(keep42)
        keep44 = compute(keep43)
        keep45 = compute(keep44)
        keep46 = compute(keep45)
        keep47 = compute(keep46)
        keep48 = compute(keep47)
        keep49 = compute(keep48)
        keep50 = compute(keep49)
        return keep50  # keep

    def after(self):  # drop
        self.drop0 = 0
        self.drop1 = 1
        self.drop2 = 2
        self.drop3 = 3
        self.drop4 = 4
        self.drop5 = 5
        self.drop6 = 6
        self.drop7 = 7
        self.drop8 = 8
        self.drop9 = 9
        self.drop10 = 10
        self.drop11 = 11
        self.drop12 = 12
        self.drop13 = 13
        self.drop14 = 14
        self.drop15 = 15
        self.drop16 = 16
        self.drop17 = 17
        self.drop18 = 18
        self.drop19 = 19
        self.drop20 = 20
        self.drop21 = 21
        self.drop22 = 22
        self.drop23 = 23
        self.drop24 = 24
        self.drop25 = 25
        self.drop26 = 26
        self.drop27 = 27
        self.drop28 = 28
        self.drop29 = 29
        self.drop30 = 30
        self.drop31 = 31
        self.drop32 = 32
        self.drop33 = 33
        self.drop34 = 34
        self.drop35 = 35
        self.drop36 = 36
        self.drop37 = 37
        self.drop38 = 38
        self.drop39 = 39
        self.drop40 = 40
        self.drop41 = 41
        self.drop42 = 42
        self.drop43 = 43
        self.drop44 = 44
        self.drop45 = 45
        self.drop46 = 46
        self.drop47 = 47
        self.drop48 = 48
        self.drop49 = 49
        self.drop50 = 50
        self.drop51 = 51
        self.drop52 = 52
        self.drop53 = 53
        self.drop54 = 54
        self.drop55 = 55
        self.drop56 = 56
        self.drop57 = 57
        self.drop58 = 58
        self.drop59 = 59


def unrelated_after():  # drop
    print('drop 0')
    print('drop 1')
    print('drop 2')
    print('drop 3')
    print('drop 4')
    print('drop 5')
    print('drop 6')
    print('drop 7')
    print('drop 8')
    print('drop 9')
    print('drop 10')
    print('drop 11')
    print('drop 12')
    print('drop 13')
    print('drop 14')
    print('drop 15')
    print('drop 16')
    print('drop 17')
    print('drop 18')
    print('drop 19')
    print('drop 20')
    print('drop 21')
    print('drop 22')
    print('drop 23')
    print('drop 24')
    print('drop 25')
    print('drop 26')
    print('drop 27')
    print('drop 28')
    print('drop 29')
    print('drop 30')
    print('drop 31')
    print('drop 32')
    print('drop 33')
    print('drop 34')
    print('drop 35')
    print('drop 36')
    print('drop 37')
    print('drop 38')
    print('drop 39')
    print('drop 40')
    print('drop 41')
    print('drop 42')
    print('drop 43')
    print('drop 44')
    print('drop 45')
    print('drop 46')
    print('drop 47')
    print('drop 48')
    print('drop 49')
    print('drop 50')
    print('drop 51')
    print('drop 52')
    print('drop 53')
    print('drop 54')
    print('drop 55')
    print('drop 56')
    print('drop 57')
    print('drop 58')
    print('drop 59')
