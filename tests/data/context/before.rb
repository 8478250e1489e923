require 'drop'

module Widgets # keep
  def self.unrelated_before(x) # drop
    x += 0 # drop
    x += 1 # drop
    x += 2 # drop
    x += 3 # drop
    x += 4 # drop
    x += 5 # drop
    x += 6 # drop
    x += 7 # drop
    x += 8 # drop
    x += 9 # drop
    x += 10 # drop
    x += 11 # drop
    x += 12 # drop
    x += 13 # drop
    x += 14 # drop
    x += 15 # drop
    x += 16 # drop
    x += 17 # drop
    x += 18 # drop
    x += 19 # drop
    x += 20 # drop
    x += 21 # drop
    x += 22 # drop
    x += 23 # drop
    x += 24 # drop
    x += 25 # drop
    x += 26 # drop
    x += 27 # drop
    x += 28 # drop
    x += 29 # drop
    x += 30 # drop
    x += 31 # drop
    x += 32 # drop
    x += 33 # drop
    x += 34 # drop
    x += 35 # drop
    x += 36 # drop
    x += 37 # drop
    x += 38 # drop
    x += 39 # drop
    x += 40 # drop
    x += 41 # drop
    x += 42 # drop
    x += 43 # drop
    x += 44 # drop
    x += 45 # drop
    x += 46 # drop
    x += 47 # drop
    x += 48 # drop
    x += 49 # drop
    x += 50 # drop
    x += 51 # drop
    x += 52 # drop
    x += 53 # drop
    x += 54 # drop
    x += 55 # drop
    x += 56 # drop
    x += 57 # drop
    x += 58 # drop
    x += 59 # drop
    x # drop
  end # drop

  class Widget < Base # keep
    attr_reader :drop_size

    # The long one: keep
    def long_method(keep0) # keep
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
      keep50 # keep
    end # keep

    def after # drop
      puts 'drop 0'
      puts 'drop 1'
      puts 'drop 2'
      puts 'drop 3'
      puts 'drop 4'
      puts 'drop 5'
      puts 'drop 6'
      puts 'drop 7'
      puts 'drop 8'
      puts 'drop 9'
      puts 'drop 10'
      puts 'drop 11'
      puts 'drop 12'
      puts 'drop 13'
      puts 'drop 14'
      puts 'drop 15'
      puts 'drop 16'
      puts 'drop 17'
      puts 'drop 18'
      puts 'drop 19'
      puts 'drop 20'
      puts 'drop 21'
      puts 'drop 22'
      puts 'drop 23'
      puts 'drop 24'
      puts 'drop 25'
      puts 'drop 26'
      puts 'drop 27'
      puts 'drop 28'
      puts 'drop 29'
      puts 'drop 30'
      puts 'drop 31'
      puts 'drop 32'
      puts 'drop 33'
      puts 'drop 34'
      puts 'drop 35'
      puts 'drop 36'
      puts 'drop 37'
      puts 'drop 38'
      puts 'drop 39'
      puts 'drop 40'
      puts 'drop 41'
      puts 'drop 42'
      puts 'drop 43'
      puts 'drop 44'
      puts 'drop 45'
      puts 'drop 46'
      puts 'drop 47'
      puts 'drop 48'
      puts 'drop 49'
      puts 'drop 50'
      puts 'drop 51'
      puts 'drop 52'
      puts 'drop 53'
      puts 'drop 54'
      puts 'drop 55'
      puts 'drop 56'
      puts 'drop 57'
      puts 'drop 58'
      puts 'drop 59'
    end # drop
  end # drop
end # drop
